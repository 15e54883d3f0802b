import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/render.ts';
import { isAlive, isSameProcess, processStartTicks } from './identity.ts';

export { isAlive, processStartTicks };

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

/** A pid file that cannot be read as an entry: kept (its process may still run) and reported. */
export interface DamagedEntry {
  file: string;
  /** From the file name (<pid>.json), when it has one. */
  pid: number | null;
  reason: string;
}

export class PidRegistry {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  add(entry: Omit<PidEntry, 'startTicks' | 'registeredAt'>): void {
    const full: PidEntry = { ...entry, startTicks: processStartTicks(entry.pid), registeredAt: new Date().toISOString() };
    // Atomic: a crash mid-write leaves no half file that would hide the process from `down`.
    writeFileAtomic(join(this.dir, `${entry.pid}.json`), JSON.stringify(full), 0o600);
  }

  remove(pid: number): void {
    rmSync(join(this.dir, `${pid}.json`), { force: true });
  }

  entries(): PidEntry[] {
    return this.read().entries;
  }

  /** Every entry, and every file that is not one (truncated, not JSON, no pid). */
  read(): { entries: PidEntry[]; damaged: DamagedEntry[] } {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { entries: [], damaged: [] };
    }
    const entries: PidEntry[] = [];
    const damaged: DamagedEntry[] = [];
    for (const n of names) {
      const m = /^(\d+)\.json$/.exec(n);
      if (!m) continue;
      const file = join(this.dir, n);
      const pid = Number(m[1]);
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
        const e = JSON.parse(text) as Partial<PidEntry>;
        if (e.pid !== pid || typeof e.session !== 'string') throw new Error(`names pid ${JSON.stringify(e.pid)} and session ${JSON.stringify(e.session)}`);
        entries.push(e as PidEntry);
      } catch (err) {
        damaged.push({ file, pid, reason: `${(err as Error).message} (${text.length} bytes${text ? `: ${JSON.stringify(text.slice(0, 60))}` : ''})` });
      }
    }
    return { entries, damaged };
  }
}

/** True when the live process with this pid is the one the entry describes. */
export function entryStillMatches(entry: PidEntry): boolean {
  return isSameProcess({ pid: entry.pid, startTicks: entry.startTicks });
}
