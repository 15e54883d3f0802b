import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../core/paths.ts';
import { openSandboxes } from '../engine/open-sandboxes.ts';
import { loadSuiteScenarios, runSuite } from '../engine/suite-run.ts';
import type { ScenarioResult } from '../scenario/result.ts';

/** Run a scenario `repeat` times in one native sandbox (the engine's suite run) and return each result. */
export async function runScenarioRepeatedly(file: string, repeat: number): Promise<ScenarioResult[]> {
  await using pool = await openSandboxes({ runtime: 'native', stateDir: mkdtempSync(join(tmpdir(), 'bench-detect-')), portOffset: 31_000 });
  const scenarios = loadSuiteScenarios([join(PROJECT_ROOT, file)]);
  const results: ScenarioResult[] = [];
  for (let i = 0; i < repeat; i++) results.push(...(await runSuite({ scenarios, pool, reporters: [] })).report.scenarios);
  return results;
}
