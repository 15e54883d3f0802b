import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { PROJECT_ROOT } from '../core/paths.ts';

/** An alert expectation of one run, against the detection model's bounds. */
export interface AlertRow {
  scenario: string;
  alert: string;
  mttd: number | null;
  floor: number;
  ceiling: number;
  ofCeiling: number | null;
}

export interface SuiteBench {
  wallSeconds: number;
  /** Sum of the scenarios' own durations: what the suite would take on one sandbox. */
  serialSeconds: number;
  passed: boolean;
  rows: { name: string; outcome: string; mttd: number | null; floor: number | null; ceiling: number | null; mttr: number | null; seconds: number }[];
  alerts: AlertRow[];
}

/** Slack over the ceiling that still counts as within it (issue 15): the poll and timer jitter. */
export const CEILING_SLACK_SECONDS = 0.25;

export const withinBounds = (a: AlertRow): boolean => a.mttd !== null && a.mttd >= a.floor && a.mttd <= a.ceiling + CEILING_SLACK_SECONDS;

/**
 * The whole built-in catalog through the CLI, exactly as CI runs it: `sandbox test scenarios/`
 * at its default parallelism unless `parallel` is given.
 */
export async function benchCatalog(parallel: number | null, portOffset: number): Promise<SuiteBench> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-suite-'));
  const t0 = performance.now();
  const flags = parallel === null ? [] : ['--parallel', String(parallel)];
  await $({ cwd: PROJECT_ROOT, nothrow: true, quiet: true, env: { ...process.env, SANDBOX_STATE_DIR: join(dir, 'state'), SANDBOX_PORT_OFFSET: String(portOffset) } })`node bin/sandbox.mjs test scenarios/ --runtime native ${flags} -q --report-dir ${join(dir, 'reports')}`;
  const wallSeconds = (performance.now() - t0) / 1000;
  const report = JSON.parse(readFileSync(join(dir, 'reports', 'report.json'), 'utf8')) as {
    passed: boolean;
    scenarios: {
      name: string;
      outcome: string;
      durationSeconds: number;
      metrics: Record<string, number | null>;
      expectations: { kind: string; name: string; observedSeconds: number | null; floorSeconds?: number; ceilingSeconds?: number; ofCeiling?: number | null }[];
    }[];
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
    alerts: report.scenarios.flatMap((s) =>
      s.expectations
        .filter((e) => e.kind === 'alert' && e.floorSeconds !== undefined && e.ceilingSeconds !== undefined)
        .map((e) => ({ scenario: s.name, alert: e.name, mttd: e.observedSeconds, floor: e.floorSeconds!, ceiling: e.ceilingSeconds!, ofCeiling: e.ofCeiling ?? null })),
    ),
  };
}
