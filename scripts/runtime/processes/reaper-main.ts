/**
 * The reaper: a small process the session host starts with a pipe on its stdin, after
 * testcontainers' Ryuk. When the pipe closes without a "release" line (the host was killed,
 * even with SIGKILL), it kills every process the session registered, then exits.
 */
import { rmSync } from 'node:fs';
import { PidRegistry } from './pid-registry.ts';
import { reapRegistry } from './reap.ts';

/** Further arguments: files the session left for others (an attached Prometheus' targets), removed on reap. */
const [pidsDir, session, ...removeFiles] = process.argv.slice(2);
if (!pidsDir || !session) {
  process.stderr.write('usage: reaper-main.ts <pids-dir> <session> [file-to-remove...]\n');
  process.exit(2);
}

process.stderr.write(`reaper pid ${process.pid} watching session ${session}\n`);
let released = false;
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  if (buffered.includes('release\n')) released = true;
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
  if (!released) {
    const reaped = await reapRegistry(new PidRegistry(pidsDir!), { session: session! });
    process.stderr.write(`reaper: session host gone, stopped ${reaped.length} process(es)\n`);
    for (const f of removeFiles) rmSync(f, { force: true });
  }
  process.exit(0);
}
