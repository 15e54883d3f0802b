import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/render.ts';
import type { FileSdGroup } from '../../stack/scrape-targets.ts';

/**
 * The discovery files a team's Prometheus reads when the sandbox is attached to it: one per job,
 * named after the job the built-in rules select (`job="sample-services"` for the sample services,
 * `job="sandbox"` for the supervisor's process_restarts_total, the sink and the controller).
 *
 * They live in `<state dir>/attach/targets/`, outside the stack config that every start renders
 * afresh: Prometheus' file_sd watches the directory of each file pattern with inotify and re-reads
 * at once on a change, but a watch on a directory that was removed (or did not exist yet) is set
 * again only at the next refresh_interval (discovery/file/file.go in Prometheus 2.42: watchFiles
 * runs from refresh), 5 minutes by default. So the directory stays; the files are removed when
 * the sandbox stops (or its reaper, or the next command, cleans up after a killed one), and the
 * team's Prometheus drops the targets instead of alerting on dead ones.
 */
export const ATTACH_JOBS = ['sample-services', 'sandbox'] as const;
export type AttachJob = (typeof ATTACH_JOBS)[number];

export function attachTargetsDir(stateDir: string): string {
  return join(stateDir, 'attach', 'targets');
}

export function attachTargetsFile(stateDir: string, job: AttachJob): string {
  return join(attachTargetsDir(stateDir), `${job}.json`);
}

/** Creates the directory (so a Prometheus started before the sandbox can watch it at once). */
export function ensureAttachTargetsDir(stateDir: string): string {
  const dir = attachTargetsDir(stateDir);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeAttachTargets(stateDir: string, files: Readonly<Record<string, FileSdGroup[]>>): void {
  ensureAttachTargetsDir(stateDir);
  for (const job of ATTACH_JOBS) writeFileAtomic(attachTargetsFile(stateDir, job), `${JSON.stringify(files[job] ?? [], null, 2)}\n`);
}

/** The files, not the directory (see above); nothing when there are none. */
export function removeAttachTargets(stateDir: string): void {
  for (const job of ATTACH_JOBS) rmSync(attachTargetsFile(stateDir, job), { force: true });
}

/** What the files list now: each target (host:port) with its labels and job. */
export function readAttachTargets(stateDir: string): { job: AttachJob; file: string; target: string; labels: Record<string, string> }[] {
  return ATTACH_JOBS.flatMap((job) => {
    const file = attachTargetsFile(stateDir, job);
    let groups: FileSdGroup[];
    try {
      groups = JSON.parse(readFileSync(file, 'utf8')) as FileSdGroup[];
    } catch {
      return [];
    }
    return groups.flatMap((g) => g.targets.map((target) => ({ job, file, target, labels: g.labels ?? {} })));
  });
}
