import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, isSameProcess, processesOwnedBy, type ProcessIdentity } from './identity.ts';
import { entryStillMatches, PidRegistry, type DamagedEntry, type PidEntry } from './pid-registry.ts';

export interface ReapReport {
  /** Registered processes that were still the ones recorded, now stopped. */
  reaped: PidEntry[];
  /** Processes found by their owner mark alone (their pid file was damaged or missing), now stopped. */
  unregistered: ProcessIdentity[];
  /** Pid files that could not be read, with what was found. */
  damaged: DamagedEntry[];
}

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
  await stopAll(live, graceMs);
  for (const e of live) registry.remove(e.pid);
  return live;
}

/**
 * Everything that belongs to a state dir whose owner is gone: the registry's processes, and
 * those only the owner mark in their environment ties to it (a damaged or missing pid file).
 * A damaged pid file is reported, and removed once nothing of ours runs under its pid.
 */
export async function reapStateDir(registry: PidRegistry, options: { graceMs?: number } = {}): Promise<ReapReport> {
  const graceMs = options.graceMs ?? 3000;
  const { damaged } = registry.read();
  const reaped = await reapRegistry(registry, { graceMs });
  const stateRoot = dirname(registry.dir);
  const unregistered = processesOwnedBy(stateRoot).filter((p) => !reaped.some((r) => r.pid === p.pid));
  await stopAll(unregistered, graceMs);
  for (const d of damaged) {
    if (d.pid === null || !isAlive(d.pid) || unregistered.some((u) => u.pid === d.pid)) rmSync(d.file, { force: true });
  }
  return { reaped, unregistered, damaged };
}

async function stopAll(live: readonly ProcessIdentity[], graceMs: number): Promise<void> {
  for (const e of live) signalGroup(e.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some((e) => isAlive(e.pid)) && Date.now() < deadline) await sleep(50);
  // SIGKILL only what is still the process we meant (a pid freed meanwhile may be reused).
  for (const e of live) if (isSameProcess(e)) signalGroup(e.pid, 'SIGKILL');
  while (live.some((e) => isAlive(e.pid)) && Date.now() < deadline + 2000) await sleep(20);
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
