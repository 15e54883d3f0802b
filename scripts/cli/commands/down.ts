import { authHeaders } from '../../core/control-guard.ts';
import { SandboxError } from '../../core/errors.ts';
import { isSameProcess } from '../../runtime/processes/identity.ts';
import { inspectState, reapedCount, reapStale, shardLayouts, verifySession, type StateInspection } from '../../runtime/session.ts';
import { readLock, StateLock } from '../../runtime/state-lock.ts';
import type { StateLayout } from '../../runtime/state.ts';
import { layoutFrom, out, type GlobalOptions } from '../context.ts';

/** How long a host gets to stop by itself before it is killed. */
const HOST_GRACE_MS = 20_000;

/**
 * `sandbox down`: stop the sandbox that owns the state dir (foreground or detached), then reap
 * anything a killed one left behind. It acts only on the recorded session: the owner's pid with
 * its start time, and a control API that accepts the session's token and names the session. A
 * stale session.json whose port another sandbox has taken since stops nothing of that sandbox.
 * Damaged state (session.json, the lock, a pid file) is reported with what was found, and
 * everything marked as belonging to the state dir is reaped anyway.
 */
export async function downCommand(opts: GlobalOptions): Promise<number> {
  const layout = layoutFrom(opts);
  // Parallel shards of a running `sandbox test` stop too.
  for (const shard of shardLayouts(layout)) await stopOwner(shard, inspectState(shard), () => undefined);
  const state = inspectState(layout);
  for (const p of state.problems) out(`found: ${p}`);
  const stopped = await stopOwner(layout, state, out);

  const lock = StateLock.acquire(layout.lockFile, 'sandbox down', {
    refusal: (owner) =>
      new SandboxError('SANDBOX_ALREADY_RUNNING', `${layout.root} is still owned by pid ${owner.pid} (${owner.purpose}) after it was asked to stop`, {
        hint: `see ${layout.logsDir}/host.log, or stop pid ${owner.pid} yourself`,
      }),
  });
  let reaped;
  try {
    reaped = await reapStale(layout);
  } finally {
    lock.release();
  }
  for (const d of reaped.damaged) {
    const ours = d.pid !== null && reaped.unregistered.some((u) => u.pid === d.pid);
    out(`found: damaged pid file ${d.file}: ${d.reason}; ${ours ? `process ${d.pid} belonged to this state dir and was stopped` : `no process of this state dir runs as pid ${d.pid}, removed it`}`);
  }
  // Processes by the pid registry and the owner mark, containers and networks by the state
  // dir's label (with or without a readable session.json).
  const n = reapedCount(reaped);
  if (n > 0) out(`reaped ${n} process(es), container(s) and network(s) left behind by a sandbox that did not stop cleanly`);
  if (!stopped && n === 0) out('no sandbox was running');
  return 0;
}

/**
 * Stop the live owner of a state dir, if there is one: through its control API when that is
 * verifiably this session, else by signal to the verified owner process. Never by pid alone.
 */
async function stopOwner(layout: StateLayout, state: StateInspection, say: (line: string) => void): Promise<boolean> {
  const owner = state.liveOwner;
  if (!owner) {
    if (state.session.kind === 'ok') {
      const other = await verifySession(state.session.info);
      if (!other.ok && !/nothing answers/.test(other.why)) say(`left alone: ${other.why}`);
    }
    return false;
  }
  if (owner.purpose !== 'sandbox host') {
    // Another `down` (or a reap) holds the state dir for a moment: let it finish.
    const deadline = Date.now() + 30_000;
    while (readLock(layout.lockFile).state === 'held' && Date.now() < deadline) await sleep(100);
    return false;
  }
  const info = state.running;
  let asked = false;
  if (info) {
    const v = await verifySession(info);
    if (v.ok) {
      await fetch(`${info.controlUrl}/shutdown`, { method: 'POST', headers: authHeaders(info.chaosToken), signal: AbortSignal.timeout(5000) })
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
      asked = true;
    } else {
      say(`the sandbox's control API is not this session (${v.why}); stopping its host, pid ${owner.pid}, by signal`);
    }
  } else {
    say(`stopping the state dir's owner, pid ${owner.pid}${owner.session ? ` (session ${owner.session})` : ''}, by signal`);
  }
  // The host traps SIGTERM and stops in order, as on Ctrl-C.
  if (!asked && isSameProcess(owner)) process.kill(owner.pid, 'SIGTERM');
  const deadline = Date.now() + HOST_GRACE_MS;
  while (isSameProcess(owner) && Date.now() < deadline) await sleep(100);
  // Only the very process recorded (pid and start time): never one that reused its pid.
  if (isSameProcess(owner)) {
    say(`pid ${owner.pid} did not stop within ${HOST_GRACE_MS / 1000}s: killing it`);
    process.kill(owner.pid, 'SIGKILL');
    while (isSameProcess(owner) && Date.now() < deadline + 5000) await sleep(50);
  }
  if (info) say(`stopped the sandbox (session ${info.session}, ${info.runtime} runtime)`);
  else say(`stopped pid ${owner.pid}`);
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
