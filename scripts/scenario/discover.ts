import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SandboxError } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/paths.ts';

export const BUILTIN_SCENARIO_DIR = join(PROJECT_ROOT, 'scenarios');

/** Scenario files in a directory (not recursive), sorted by name. */
export function scenarioFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Turn CLI arguments into scenario files: a file, a directory of them, or the name of a
 * built-in scenario. Unknown arguments are reported all at once.
 */
export function resolveScenarioArgs(args: readonly string[]): string[] {
  const files: string[] = [];
  const unknown: string[] = [];
  for (const arg of args.length ? args : [BUILTIN_SCENARIO_DIR]) {
    const p = resolve(arg);
    if (existsSync(p) && statSync(p).isDirectory()) files.push(...scenarioFilesIn(p));
    else if (existsSync(p)) files.push(p);
    else if (existsSync(join(BUILTIN_SCENARIO_DIR, `${arg}.yaml`))) files.push(join(BUILTIN_SCENARIO_DIR, `${arg}.yaml`));
    else unknown.push(arg);
  }
  if (unknown.length > 0) {
    throw new SandboxError('INVALID_ARGUMENT', `no scenario file or built-in scenario named ${unknown.map((u) => `"${u}"`).join(', ')}`, {
      hint: '`npx sandbox scenarios` lists the built-in scenarios',
    });
  }
  if (files.length === 0) throw new SandboxError('INVALID_ARGUMENT', `no scenario files (*.yaml) in ${args.join(', ')}`);
  return [...new Set(files)];
}
