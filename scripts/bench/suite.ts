import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { PROJECT_ROOT } from '../core/paths.ts';

export interface SuiteBench {
  wallSeconds: number;
  /** Sum of the scenarios' own durations: what the suite would take on one sandbox, resets aside. */
  serialSeconds: number;
  passed: boolean;
  rows: { name: string; outcome: string; mttd: number | null; floor: number | null; ceiling: number | null; mttr: number | null; seconds: number }[];
}

/** The whole built-in catalog through the CLI, exactly as CI runs it. */
export async function benchCatalog(parallel: number, portOffset: number): Promise<SuiteBench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-suite-'));
  const t0 = performance.now();
  await $({ cwd: PROJECT_ROOT, nothrow: true, quiet: true, env: { ...process.env, SANDBOX_STATE_DIR: join(dir, 'state'), SANDBOX_PORT_OFFSET: String(portOffset) } })`node bin/sandbox.mjs test scenarios/ --runtime native --parallel ${parallel} -q --report-dir ${join(dir, 'reports')}`;
  const wallSeconds = (performance.now() - t0) / 1000;
  const report = JSON.parse(readFileSync(join(dir, 'reports', 'report.json'), 'utf8')) as {
    passed: boolean;
    scenarios: { name: string; outcome: string; durationSeconds: number; metrics: Record<string, number | null> }[];
  };
  return {
    wallSeconds,
    serialSeconds: report.scenarios.reduce((s, r) => s + r.durationSeconds, 0),
    passed: report.passed,
    rows: report.scenarios.map((s) => ({
      name: s.name,
      outcome: s.outcome,
      mttd: s.metrics.mttdSeconds ?? null,
      floor: s.metrics.detectionFloorSeconds ?? null,
      ceiling: s.metrics.detectionCeilingSeconds ?? null,
      mttr: s.metrics.mttrSeconds ?? null,
      seconds: s.durationSeconds,
    })),
  };
}
