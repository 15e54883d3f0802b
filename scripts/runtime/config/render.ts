import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A sandbox's configuration is a copy of compose/<component>/ under the state dir, so that the
 * files a Prometheus user reads in the repo are exactly what runs; only discovery files and the
 * receivers' base URLs are written per run.
 */
export function copyComponentConfig(source: string, dest: string): void {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  // promtool unit tests are not configuration.
  cpSync(source, dest, { recursive: true, filter: (src) => basename(src) !== 'tests' });
}

export interface FileSdGroup {
  targets: string[];
  labels?: Record<string, string>;
}

/**
 * Atomic write, so a reader (Prometheus' file watcher, another CLI) never sees half a file and a
 * crash leaves the old one: a temporary file created with its final mode, then renamed over.
 * A secret (session.json, a rendered config with the token) gets 0o600 from its first byte.
 */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, content, { mode, flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeTargets(prometheusConfigDir: string, job: string, groups: FileSdGroup[]): void {
  writeFileAtomic(join(prometheusConfigDir, 'targets', `${job}.json`), `${JSON.stringify(groups, null, 2)}\n`);
}

/**
 * alertmanager.yml names the receivers by their default loopback base URLs; move them to where
 * the receivers really listen (another port offset, or the host as seen from a container).
 */
export function rewriteBaseUrls(file: string, replacements: ReadonlyMap<string, string>, mode?: number): void {
  let text = readFileSync(file, 'utf8');
  for (const [from, to] of replacements) text = text.split(from).join(to);
  writeFileAtomic(file, text, mode);
}
