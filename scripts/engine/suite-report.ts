import type { RuntimeName } from '../runtime/types.ts';
import type { Scenario } from '../scenario/model.ts';
import type { ScenarioResult, SuiteReport } from '../scenario/result.ts';

/** The suite's report from its scenarios' results, in the scenario list's order. */
export function suiteReport(runtime: RuntimeName, startedAt: Date, results: readonly ScenarioResult[]): SuiteReport {
  return {
    // A scenario skipped for an optional component this sandbox lacks does not fail the suite
    // (JUnit counts it as skipped); one not run because a sandbox broke does.
    passed: results.every((r) => r.outcome === 'passed' || (r.outcome === 'skipped' && r.error?.code === 'COMPONENT_UNAVAILABLE')),
    runtime,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 10) / 100,
    scenarios: [...results],
  };
}

/** A scenario that never ran (interrupted first, or no sandbox left): `skipped`, code NOT_RUN. */
export function notRunResult(s: Scenario, reason: string): ScenarioResult {
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
