import { isAlive } from '../../runtime/processes/pid-registry.ts';
import { controlAnswers, reapStale, shardLayouts } from '../../runtime/session.ts';
import { readSessionInfo } from '../../runtime/state.ts';
import { layoutFrom, out, type GlobalOptions } from '../context.ts';

/**
 * `sandbox down`: stop a running sandbox (foreground or detached) through its control API, then
 * reap anything a killed one left behind.
 */
export async function downCommand(opts: GlobalOptions): Promise<number> {
  const layout = layoutFrom(opts);
  // Parallel shards of a running `sandbox test` stop too.
  for (const shard of shardLayouts(layout)) {
    const s = readSessionInfo(shard);
    if (s && (await controlAnswers(s.controlUrl))) await stopHost(s.controlUrl, s.hostPid);
  }
  const info = readSessionInfo(layout);
  let stopped = false;
  if (info && (await controlAnswers(info.controlUrl))) {
    await stopHost(info.controlUrl, info.hostPid);
    stopped = true;
    out(`stopped the sandbox (session ${info.session}, ${info.runtime} runtime)`);
  }
  // Processes by the pid registry, containers by the state dir's label (with or without a
  // readable session.json).
  const { reaped } = await reapStale(layout);
  if (reaped > 0) out(`reaped ${reaped} process(es) and container(s) left behind by a sandbox that did not stop cleanly`);
  if (!stopped && reaped === 0) out('no sandbox was running');
  return 0;
}

/** Ask a sandbox host to shut down; kill it if it has not exited within 20 s. */
async function stopHost(controlUrl: string, hostPid: number): Promise<void> {
  await fetch(`${controlUrl}/shutdown`, { method: 'POST' }).then((r) => r.body?.cancel()).catch(() => undefined);
  const deadline = Date.now() + 20_000;
  while (isAlive(hostPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(hostPid)) process.kill(hostPid, 'SIGKILL');
}
