import { join } from 'node:path';
import { isSandboxError, SandboxError } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { checkDetectionBudget, readDetectionConfig, type DetectionConfig } from './detection-bounds.ts';
import { loadScenario, type LoadOptions } from './loader.ts';
import type { Scenario } from './model.ts';

/**
 * Load and check every scenario before anything starts: all files' problems at once, and
 * targets below the configuration's detection floor rejected as impossible.
 */
export function prepareScenarios(
  files: readonly string[],
  warn: (line: string) => void = () => undefined,
  /** The configuration to check against when it is not this project's (an attached stack). */
  detection?: DetectionConfig,
  loadOptions: LoadOptions = {},
): Scenario[] {
  const scenarios: Scenario[] = [];
  const errors: SandboxError[] = [];
  for (const f of files) {
    try {
      const s = loadScenario(f, loadOptions);
      if (detection && s.ruleFiles.length > 0) {
        throw new SandboxError('INVALID_SCENARIO', `${s.locations?.rules ?? s.file}: \`rules:\` cannot be loaded into an attached Prometheus`, {
          hint: 'load those rule files into your Prometheus yourself and drop `rules:`, or run without --attach',
        });
      }
      const { warnings } = checkDetectionBudget(s, detection ?? readDetectionConfig(join(PROJECT_ROOT, 'compose/prometheus'), s.ruleFiles, join(PROJECT_ROOT, 'compose/alertmanager')));
      warnings.forEach((w) => warn(`${s.name}: ${w}`));
      scenarios.push(s);
    } catch (e) {
      // Anything else a file makes the loader throw is still that file's problem: exit 2, named.
      errors.push(isSandboxError(e) ? e : new SandboxError('INVALID_SCENARIO', `${f}: cannot be loaded: ${(e as Error).message}`, { hint: 'see the scenario format in README.md' }));
    }
  }
  const names = new Map<string, string>();
  for (const s of scenarios) {
    const other = names.get(s.name);
    if (other) errors.push(new SandboxError('INVALID_SCENARIO', `${s.locations?.name ?? s.file}: scenario name "${s.name}" is already used by ${other}`, { hint: 'names must be unique' }));
    names.set(s.name, s.file);
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new SandboxError('INVALID_SCENARIO', `${errors.length} scenario files are invalid`, {
      details: errors.flatMap((e) => [e.message, ...e.details.map((d) => `  ${d}`)]),
      hint: errors[0]!.hint,
    });
  }
  return scenarios;
}
