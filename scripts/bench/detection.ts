import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFrom } from '../runtime/connection.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { startSandbox } from '../runtime/session.ts';
import { stateLayout } from '../runtime/state.ts';
import type { ScenarioResult } from '../scenario/result.ts';
import { prepareScenarios, runSuite } from '../scenario/suite.ts';

/** Run a scenario `repeat` times in one native sandbox and return each result. */
export async function runScenarioRepeatedly(file: string, repeat: number): Promise<ScenarioResult[]> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-detect-'));
  await using sandbox = await startSandbox({ runtime: 'native', stateDir, portOffset: 31_000 });
  const conn = connectionFrom(sandbox.info, stateLayout(stateDir));
  const scenarios = prepareScenarios([join(PROJECT_ROOT, file)]);
  const results: ScenarioResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const report = await runSuite(conn, scenarios, { remediation: true, reporters: [], runtime: 'native' });
    results.push(...report.scenarios);
  }
  return results;
}
