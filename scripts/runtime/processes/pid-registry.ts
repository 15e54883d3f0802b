import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every process the sandbox starts gets a file here, so that `down`, the next `up`/`test`, or the
 * reaper can kill what a killed CLI left behind. An entry records enough to tell the process apart
 * from an unrelated one that reused its pid (start time and command line).
 */
export interface PidEntry {
  pid: number;
  name: string;
  /** argv[0] basename and the first arguments, as /proc/<pid>/cmdline would show them. */
  command: string[];
  session: string;
  /** Process start time from /proc/<pid>/stat (clock ticks since boot); guards against pid reuse. */
  startTicks: number | null;
  registeredAt: string;
}

export class PidRegistry {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  add(entry: Omit<PidEntry, 'startTicks' | 'registeredAt'>): void {
    const full: PidEntry = { ...entry, startTicks: processStartTicks(entry.pid), registeredAt: new Date().toISOString() };
    writeFileSync(join(this.dir, `${entry.pid}.json`), JSON.stringify(full));
  }

  remove(pid: number): void {
    rmSync(join(this.dir, `${pid}.json`), { force: true });
  }

  entries(): PidEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: PidEntry[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as PidEntry);
      } catch {
        rmSync(join(this.dir, n), { force: true });
      }
    }
    return out;
  }
}

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

/** True when the live process with this pid is the one the entry describes. */
export function entryStillMatches(entry: PidEntry): boolean {
  if (!isAlive(entry.pid)) return false;
  const ticks = processStartTicks(entry.pid);
  if (entry.startTicks !== null && ticks !== null) return ticks === entry.startTicks;
  return true;
}
