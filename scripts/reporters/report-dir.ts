import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SandboxError } from '../core/errors.ts';

/**
 * Where a run's reports go, such that no earlier report is ever silently replaced:
 * - `--report-dir DIR` (CI): DIR itself, so paths stay fixed (`reports/junit.xml`); refused
 *   before anything starts when DIR already holds a file this run would write, unless --force.
 *   A fresh CI checkout's report dir is empty, so CI never meets the refusal.
 * - no --report-dir: a new directory per run under the default root (`.sandbox/reports/<UTC
 *   time>`), so local runs keep their history.
 */
export function chooseReportDir(options: { explicit?: string; defaultRoot: string; files: readonly string[]; force?: boolean; now?: Date }): string {
  if (options.explicit !== undefined) {
    const dir = resolve(options.explicit);
    const taken = options.files.filter((f) => existsSync(join(dir, f)));
    if (taken.length > 0 && !options.force) {
      throw new SandboxError('INVALID_ARGUMENT', `--report-dir "${options.explicit}" already holds ${taken.join(', ')} from an earlier run; refusing to overwrite ${taken.length === 1 ? 'it' : 'them'}`, {
        hint: 'pass --force to replace them, or give an empty or new directory',
      });
    }
    return dir;
  }
  const stamp = (options.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  let dir = join(resolve(options.defaultRoot), stamp);
  for (let n = 2; existsSync(dir); n++) dir = join(resolve(options.defaultRoot), `${stamp}-${n}`);
  return dir;
}
