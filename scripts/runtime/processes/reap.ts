import { entryStillMatches, isAlive, PidRegistry, type PidEntry } from './pid-registry.ts';

/**
 * Kill every registered process group that is still the process we started, SIGTERM first and
 * SIGKILL after a grace period. Used by `down`, by every `up`/`test` before it starts, and by the
 * reaper process when the session host dies.
 */
export async function reapRegistry(
  registry: PidRegistry,
  options: { graceMs?: number; session?: string } = {},
): Promise<PidEntry[]> {
  const graceMs = options.graceMs ?? 3000;
  const targets = registry
    .entries()
    .filter((e) => options.session === undefined || e.session === options.session);
  const live = targets.filter(entryStillMatches);
  for (const e of targets) if (!live.includes(e)) registry.remove(e.pid);
  for (const e of live) signalGroup(e.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some((e) => isAlive(e.pid)) && Date.now() < deadline) await sleep(50);
  for (const e of live) if (isAlive(e.pid)) signalGroup(e.pid, 'SIGKILL');
  while (live.some((e) => isAlive(e.pid)) && Date.now() < deadline + 2000) await sleep(20);
  for (const e of live) registry.remove(e.pid);
  return live;
}

/** Each managed process leads its own process group, so children it spawned go with it. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
