/**
 * The programmatic API, for teams that put scenarios in their own test files:
 *
 *   await using sandbox = await startSandbox({ runtime: 'native', stateDir: '.sandbox/my-tests' });
 *   const result = await runScenario(sandbox, 'scenarios/service-crash.yaml');
 *   expect(result.outcome).toBe('passed');
 */
import { connectionFrom, type SandboxConnection } from './runtime/connection.ts';
import { Sandbox } from './runtime/session.ts';
import { readDetectionConfig } from './scenario/detection-bounds.ts';
import type { Scenario } from './scenario/model.ts';
import type { Reporter, ScenarioResult } from './scenario/result.ts';
import { runScenario as runOne } from './scenario/runner.ts';
import { prepareScenarios } from './scenario/suite.ts';

export { startSandbox, Sandbox, type StartOptions } from './runtime/session.ts';
export { connectToRunning, type SandboxConnection } from './runtime/connection.ts';
export { loadScenario } from './scenario/loader.ts';
export { SandboxError, ExitCode } from './core/errors.ts';
export type { Scenario } from './scenario/model.ts';
export type { ScenarioResult, SuiteReport, ExpectationResult, Reporter } from './scenario/result.ts';
export type { TimelineEvent } from './scenario/timeline.ts';

/** Run one scenario (a file path or a loaded Scenario) against a sandbox; never throws for a failed verdict. */
export async function runScenario(
  target: Sandbox | SandboxConnection,
  scenario: string | Scenario,
  options: { remediation?: boolean; reporters?: Reporter[]; signal?: AbortSignal } = {},
): Promise<ScenarioResult> {
  const conn = target instanceof Sandbox ? connectionFrom(target.info, target.layout) : target;
  const loaded = typeof scenario === 'string' ? prepareScenarios([scenario])[0]! : scenario;
  return runOne(conn, loaded, {
    remediation: options.remediation ?? true,
    detection: readDetectionConfig(conn.prometheusConfigDir, loaded.ruleFiles, conn.alertmanagerConfigDir),
    ...(options.reporters ? { reporters: options.reporters } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
