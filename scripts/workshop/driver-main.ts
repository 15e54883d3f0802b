/**
 * Entry point of the detached workshop driver: `node --import tsx driver-main.ts <state-dir>`.
 * `sandbox workshop start` spawns it and registers its pid, so `sandbox down` reaps it.
 */
import { runDriver } from './driver.ts';

const stateDir = process.argv[2];
if (!stateDir) {
  process.stderr.write('usage: driver-main.ts <state-dir>\n');
  process.exit(2);
}
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
try {
  await runDriver(stateDir, log);
  process.exit(0);
} catch (e) {
  log(`workshop driver failed: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
}
