import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, type PidEntry } from '../../scripts/runtime/processes/pid-registry.ts';

/**
 * What a sandbox could leave behind, seen from outside: live processes whose command line or
 * environment names its state dir (Prometheus' --config.file, the reaper's pids dir, every
 * service's SANDBOX_STATE_DIR), registry entries and a session file. Linux /proc; elsewhere the
 * process scan finds nothing. (Ports are not checked: another test's sandbox may take one.)
 */
export function processesMentioning(marker: string): { pid: number; command: string }[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const found: { pid: number; command: string }[] = [];
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    const read = (f: string) => {
      try {
        return readFileSync(`/proc/${p}/${f}`, 'utf8');
      } catch {
        return '';
      }
    };
    const cmdline = read('cmdline');
    if (cmdline.includes(marker) || read('environ').includes(marker)) {
      if (isAlive(pid)) found.push({ pid, command: cmdline.replaceAll('\0', ' ').trim() });
    }
  }
  return found;
}

/** The reaper's pid, from the first line of logs/reaper.log; null when none was started. */
export function reaperPid(stateDir: string): number | null {
  try {
    const m = readFileSync(join(stateDir, 'logs', 'reaper.log'), 'utf8').match(/^reaper pid (\d+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface Leftovers {
  /** Registry pids (and the reaper's) still alive. */
  alivePids: number[];
  registryEntries: number;
  processes: { pid: number; command: string }[];
  sessionFile: boolean;
}

/** Everything a stopped sandbox must not leave; `knownPids` are pids seen while it ran. */
export function leftovers(stateDir: string, knownPids: readonly number[] = []): Leftovers {
  // Read directly: PidRegistry's constructor would create the directory.
  const dir = join(stateDir, 'pids');
  const entries = existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .flatMap((n) => {
          try {
            return [JSON.parse(readFileSync(join(dir, n), 'utf8')) as PidEntry];
          } catch {
            return [];
          }
        })
    : [];
  const reaper = reaperPid(stateDir);
  const pids = [...new Set([...knownPids, ...entries.map((e) => e.pid), ...(reaper ? [reaper] : [])])];
  return {
    alivePids: pids.filter(isAlive),
    registryEntries: entries.length,
    processes: processesMentioning(stateDir),
    sessionFile: existsSync(join(stateDir, 'session.json')),
  };
}

export const NOTHING_LEFT: Leftovers = { alivePids: [], registryEntries: 0, processes: [], sessionFile: false };

/** Poll until nothing is left (processes take a moment to be reaped), then return the last look. */
export async function settleLeftovers(stateDir: string, knownPids: readonly number[] = [], timeoutMs = 10_000): Promise<Leftovers> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = leftovers(stateDir, knownPids);
    const clean = l.alivePids.length === 0 && l.registryEntries === 0 && l.processes.length === 0 && !l.sessionFile;
    if (clean || Date.now() > deadline) return l;
    await new Promise((r) => setTimeout(r, 200));
  }
}
