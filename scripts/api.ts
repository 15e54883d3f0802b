/**
 * `observability-sandbox`: the programmatic face, the same engine the CLI and the vitest
 * integration use.
 *
 *   import { runSuite } from 'observability-sandbox';
 *   const { report } = await runSuite({ scenarios: ['my-scenarios/'], runtime: 'native', reporters: ['terminal', 'json'] });
 *
 *   await using sandbox = await startSandbox({ runtime: 'native', stateDir: '.sandbox/my-tests' });
 *   const result = await runScenario(sandbox, 'scenarios/service-crash.yaml');
 */
import { ReporterHub, type ReporterSpec, loadReporters } from './engine/reporter-hub.ts';
import { SandboxPool } from './engine/sandbox-pool.ts';
import { runScenarioRepeats } from './engine/scenario-runs.ts';
import { suiteReport } from './engine/suite-report.ts';
import { loadSuiteScenarios, suiteReportDir } from './engine/suite-run.ts';
import { connectionFrom, type SandboxConnection } from './runtime/connection.ts';
import { Sandbox } from './runtime/session.ts';
import type { Scenario } from './scenario/model.ts';
import type { ScenarioResult } from './scenario/result.ts';

export { runSuite, loadSuiteScenarios, type SuiteOptions, type SuiteOutcome } from './engine/suite-run.ts';
export { openSandboxes, type SandboxesOptions } from './engine/open-sandboxes.ts';
export { SandboxPool } from './engine/sandbox-pool.ts';
export { loadReporters, ReporterHub, type ReporterSpec, type ReporterFailure } from './engine/reporter-hub.ts';
export { freePortOffset } from './engine/port-offset.ts';
export { startSandbox, Sandbox, type StartOptions } from './runtime/session.ts';
export { connectToRunning, type SandboxConnection } from './runtime/connection.ts';
export { loadScenario } from './scenario/loader.ts';
export { SandboxError, ExitCode, type SandboxErrorCode } from './core/errors.ts';
export { createReporters, reporterNames, type ReporterOptions, type ReporterName } from './reporters/index.ts';
export { scenarioText } from './reporters/scenario-text.ts';
export type { Scenario } from './scenario/model.ts';
export type { ScenarioResult, SuiteReport, ExpectationResult, Reporter, ReporterContext, Outcome } from './scenario/result.ts';
export type { TimelineEvent } from './scenario/timeline.ts';

/**
 * Run one scenario (a file path, a built-in name, or a loaded Scenario) against a sandbox, as
 * many times as its `repeat:` says, judged as one. Never throws for a failed verdict: read
 * `outcome`. File reporters write as for a suite of this one scenario (default: a new
 * <state dir>/reports/<UTC time>; a given reportDir holding earlier reports needs `force`).
 */
export async function runScenario(
  target: Sandbox | SandboxConnection,
  scenario: string | Scenario,
  options: { remediation?: boolean; reporters?: readonly ReporterSpec[]; reportDir?: string; force?: boolean; signal?: AbortSignal } = {},
): Promise<ScenarioResult> {
  const conn = target instanceof Sandbox ? connectionFrom(target.info, target.layout) : target;
  const loaded = typeof scenario === 'string' ? loadSuiteScenarios([scenario])[0]! : scenario;
  const specs = options.reporters ?? [];
  const reportDir = suiteReportDir({ stateDir: conn.stateDir ?? '.sandbox', reporters: specs, ...(options.reportDir !== undefined ? { reportDir: options.reportDir } : {}), force: options.force ?? false });
  const hub = new ReporterHub(await loadReporters(specs, { reportDir, quiet: false }));
  await hub.init({ reportDir, scenarios: [loaded] });
  const startedAt = new Date();
  const result = await new SandboxPool([conn]).use((c) =>
    runScenarioRepeats(c, loaded, { remediation: options.remediation ?? true, hub, ...(options.signal ? { signal: options.signal } : {}) }),
  );
  await hub.suiteEnd(suiteReport(conn.runtime, startedAt, [result]));
  const failure = hub.failureError();
  if (failure) throw failure;
  return result;
}
