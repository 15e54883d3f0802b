import type { SandboxConnection } from '../runtime/connection.ts';
import { readDetectionConfig, type DetectionConfig } from '../scenario/detection-bounds.ts';
import type { Scenario } from '../scenario/model.ts';
import { aggregateRuns } from '../scenario/repeat.ts';
import type { ScenarioResult } from '../scenario/result.ts';
import { runScenarioOnce } from '../scenario/runner.ts';
import type { ReporterHub } from './reporter-hub.ts';

export interface ScenarioRunsOptions {
  remediation: boolean;
  hub: ReporterHub;
  signal?: AbortSignal;
  /** The configuration the detection bounds come from when it is not the sandbox's (attached). */
  detection?: DetectionConfig;
}

/**
 * One scenario on one sandbox, as many times as its `repeat:` asks, judged as one: reporters
 * hear about every run (start, events, end); the result is the aggregate (scenario/repeat.ts).
 * An errored or skipped run ends the repeats: the same part would be missing next time.
 */
export async function runScenarioRepeats(conn: SandboxConnection, scenario: Scenario, options: ScenarioRunsOptions): Promise<ScenarioResult> {
  const detection = options.detection ?? readDetectionConfig(conn.prometheusConfigDir, scenario.ruleFiles, conn.alertmanagerConfigDir);
  const runs: ScenarioResult[] = [];
  for (let n = 0; n < scenario.repeat.runs && !(n > 0 && options.signal?.aborted); n++) {
    await options.hub.scenarioStart(scenario.name);
    const result = await runScenarioOnce(conn, scenario, {
      remediation: options.remediation,
      detection,
      onEvent: (name, event) => options.hub.event(name, event),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    runs.push(result);
    await options.hub.scenarioEnd(result);
    if (result.outcome === 'errored' || result.outcome === 'skipped') break;
  }
  return aggregateRuns(scenario, runs);
}
