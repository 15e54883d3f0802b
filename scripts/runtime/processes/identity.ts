import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process as the sandbox records it: its pid and its start time (field 22 of /proc/<pid>/stat,
 * clock ticks since boot). A pid alone may name another process once the first one has exited;
 * the pair does not.
 */
export interface ProcessIdentity {
  pid: number;
  /** null where /proc is absent (non-Linux): then the pid alone is all there is. */
  startTicks: number | null;
}

/**
 * Every process the sandbox starts carries this variable with the absolute state dir it belongs
 * to, so that `down` finds it even when the file that recorded it (a pid file, session.json) is
 * damaged or missing. A user's shell never sets it.
 */
export const OWNER_ENV = 'SANDBOX_OWNED_BY';

/** Field 22 of /proc/<pid>/stat; null where /proc is absent (non-Linux) or the process is gone. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** A zombie (exited, not yet waited for by its parent) counts as dead. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function identityOf(pid: number): ProcessIdentity {
  return { pid, startTicks: processStartTicks(pid) };
}

/** True while the live process with this pid is the recorded one (not a later process that reused the pid). */
export function isSameProcess(id: ProcessIdentity): boolean {
  if (!isAlive(id.pid)) return false;
  const ticks = processStartTicks(id.pid);
  if (id.startTicks !== null && ticks !== null) return ticks === id.startTicks;
  return true;
}

/**
 * Live processes (other than this one) whose environment says they belong to `stateRoot`
 * (OWNER_ENV). Linux /proc; elsewhere none are found and the pid registry is all there is.
 */
export function processesOwnedBy(stateRoot: string): ProcessIdentity[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const marker = `${OWNER_ENV}=${stateRoot}`;
  const found: ProcessIdentity[] = [];
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${p}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (environ.split('\0').includes(marker) && isAlive(pid)) found.push(identityOf(pid));
  }
  return found;
}

/** The command line of a live process, for messages ("pid 123 (prometheus --config.file=...)"). */
export function commandLineOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return text || null;
  } catch {
    return null;
  }
}
