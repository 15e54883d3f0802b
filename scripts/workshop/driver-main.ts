/**
 * Entry point of the detached workshop driver: `node --import tsx driver-main.ts <state-dir>`.
 * `sandbox workshop start` spawns it and registers its pid, so `sandbox down` reaps it.
 */
import { StateLock } from '../runtime/state-lock.ts';
import { stateLayout } from '../runtime/state.ts';
import { runDriver } from './driver.ts';

const stateDir = process.argv[2];
if (!stateDir) {
  process.stderr.write('usage: driver-main.ts <state-dir>\n');
  process.exit(2);
}
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
let lock: StateLock | undefined;
try {
  // The round owns the sandbox's scenario slot: a `sandbox run` meanwhile is refused.
  lock = StateLock.acquire(stateLayout(stateDir).runLockFile, 'workshop');
  await runDriver(stateDir, log);
  lock.release();
  process.exit(0);
} catch (e) {
  lock?.release();
  log(`workshop driver failed: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
}
