/**
 * The reaper: a small process the session host starts with a pipe on its stdin, after
 * testcontainers' Ryuk. When the pipe closes without a "release" line (the host was killed,
 * even with SIGKILL), it kills every process the session registered and, on the docker runtime,
 * removes the session's containers and networks by label ("docker {...}" line), then exits.
 * Only the pid registry loads at start; the docker client loads when there is something to remove.
 */
import { rmSync } from 'node:fs';
import { PidRegistry } from './pid-registry.ts';
import { reapRegistry } from './reap.ts';
import { readReaperInput, type ReaperInput } from './reaper-protocol.ts';

/** Further arguments: files the session left for others (an attached Prometheus' targets), removed on reap. */
const [pidsDir, session, ...removeFiles] = process.argv.slice(2);
if (!pidsDir || !session) {
  process.stderr.write('usage: reaper-main.ts <pids-dir> <session> [file-to-remove...]\n');
  process.exit(2);
}

process.stderr.write(`reaper pid ${process.pid} watching session ${session}\n`);
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
});
process.stdin.on('close', () => void finish());
process.stdin.on('end', () => void finish());
// The reaper must outlive the terminal's Ctrl-C that reaches its old process group.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

let finishing = false;
async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  const input: ReaperInput = readReaperInput(buffered);
  if (!input.released) {
    await Promise.all([
      reapRegistry(new PidRegistry(pidsDir!), { session: session! }).then(
        (reaped) => process.stderr.write(`reaper: session host gone, stopped ${reaped.length} process(es)\n`),
        (e: unknown) => process.stderr.write(`reaper: stopping processes failed: ${(e as Error).message}\n`),
      ),
      input.docker ? removeDocker(input.docker) : undefined,
    ]);
    for (const f of removeFiles) rmSync(f, { force: true });
  }
  process.exit(0);
}

async function removeDocker(spec: NonNullable<ReaperInput['docker']>): Promise<void> {
  try {
    const { removeLeftovers } = await import('../docker/leftovers.ts');
    const removed = await removeLeftovers(spec);
    process.stderr.write(`reaper: session host gone, removed ${removed.containers} container(s) and ${removed.networks} network(s)\n`);
  } catch (e) {
    // The next command (`down`, `up`, `run`, `test`) reaps them by the state dir's label.
    process.stderr.write(`reaper: removing containers failed (the next command will): ${(e as Error).message}\n`);
  }
}
