import { join } from 'node:path';
import { isSandboxError, SandboxError } from '../core/errors.ts';
import type { SandboxConnection } from '../runtime/connection.ts';
import { PROJECT_ROOT } from '../runtime/paths.ts';
import type { RuntimeName } from '../runtime/types.ts';
import { checkDetectionBudget, readDetectionConfig, type DetectionConfig } from './detection-bounds.ts';
import { loadScenario, type LoadOptions } from './loader.ts';
import type { Scenario } from './model.ts';
import type { Reporter, ScenarioResult, SuiteReport } from './result.ts';
import { aggregateRuns } from './repeat.ts';
import { runScenario } from './runner.ts';

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

/**
 * Run scenarios on one or more sandboxes (parallel shards): each sandbox takes the next scenario
 * when it is free. Results keep the order of the scenario list. A sandbox that cannot get clean
 * takes no further scenarios (its failure would cascade); what no sandbox could run is reported
 * `skipped` with the reason, so no result goes missing.
 */
export async function runSuite(
  sandboxes: SandboxConnection | readonly SandboxConnection[],
  scenarios: readonly Scenario[],
  options: { remediation: boolean; reporters: readonly Reporter[]; runtime: RuntimeName; signal?: AbortSignal; detection?: DetectionConfig },
): Promise<SuiteReport> {
  const conns = Array.isArray(sandboxes) ? (sandboxes as readonly SandboxConnection[]) : [sandboxes as SandboxConnection];
  const startedAt = new Date();
  const results = new Map<number, ScenarioResult>();
  // Longest first, so that on several sandboxes no long scenario starts last and runs alone.
  const queue = scenarios.map((_, i) => i).sort((a, b) => conns.length > 1 ? expectedSeconds(scenarios[b]!) - expectedSeconds(scenarios[a]!) : a - b);
  let next = 0;
  let lastStop = '';
  const worker = async (conn: SandboxConnection) => {
    while (next < queue.length && !options.signal?.aborted) {
      const index = queue[next++]!;
      const scenario = scenarios[index]!;
      const detection = options.detection ?? readDetectionConfig(conn.prometheusConfigDir, scenario.ruleFiles, conn.alertmanagerConfigDir);
      const runs: ScenarioResult[] = [];
      for (let n = 0; n < scenario.repeat.runs && !(n > 0 && options.signal?.aborted); n++) {
        runs.push(
          await runScenario(conn, scenario, {
            remediation: options.remediation,
            detection,
            // Reporters hear about every run; the suite report carries the aggregate.
            reporters: options.reporters,
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        );
        // An errored run ends the repeats; so does a skipped one (the same part is missing next time).
        if (runs.at(-1)!.outcome === 'errored' || runs.at(-1)!.outcome === 'skipped') break;
      }
      const result = aggregateRuns(scenario, runs);
      results.set(index, result);
      if (result.outcome === 'errored' && result.error?.code !== 'INTERRUPTED' && /clean state/.test(result.error?.message ?? '')) {
        lastStop = result.error!.message;
        return;
      }
    }
  };
  await Promise.all(conns.map(worker));
  const all = scenarios.map((s, i) => results.get(i) ?? notRun(s, options.signal?.aborted ? 'interrupted before it started' : `not run: ${lastStop}`));
  const report: SuiteReport = {
    // A scenario skipped for an optional component this sandbox lacks does not fail the suite
    // (JUnit counts it as skipped); one not run because a sandbox broke does.
    passed: all.every((r) => r.outcome === 'passed' || (r.outcome === 'skipped' && r.error?.code === 'COMPONENT_UNAVAILABLE')),
    runtime: options.runtime,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 10) / 100,
    scenarios: all,
  };
  for (const r of options.reporters) await r.onSuiteEnd(report);
  return report;
}

function expectedSeconds(s: Scenario): number {
  return s.load.durationSeconds * s.repeat.runs;
}

function notRun(s: Scenario, reason: string): ScenarioResult {
  return {
    name: s.name,
    file: s.file,
    ...(s.description ? { description: s.description } : {}),
    outcome: 'skipped',
    targets: s.targets,
    metrics: { mttdSeconds: null, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttrSeconds: null, detectionFloorSeconds: null, detectionCeilingSeconds: null, notificationFloorSeconds: null, notificationCeilingSeconds: null },
    expectations: [],
    timeline: [],
    durationSeconds: 0,
    error: { code: 'NOT_RUN', message: reason },
  };
}
