import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import type { ScenarioResult } from '../../../scripts/scenario/result.ts';
import type { TimelineEvent } from '../../../scripts/scenario/timeline.ts';
import { computeScorecard } from '../../../scripts/reporters/scorecard/compute.ts';
import { renderScorecardHtml } from '../../../scripts/reporters/scorecard/html.ts';

const dir = mkdtempSync(join(tmpdir(), 'scorecard-'));
function scenario(name: string, yaml: string) {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\nload: { rate: 0, duration: 20s }\n${yaml}`);
  return loadScenario(f);
}
const crash = scenario('crash', 'faults: [{ type: crash, service: ml-service, at: 5s }]\nexpect:\n  - alert: ServiceDown\n');
const baseline = scenario('baseline', 'expect:\n  - noOtherAlerts: true\n');

const ev = (t: number, kind: string, extra: Record<string, unknown> = {}) => ({ t, at: '', detail: '', kind, ...extra }) as unknown as TimelineEvent;
function run(name: string, outcome: ScenarioResult['outcome'], timeline: TimelineEvent[], ofCeiling?: number): ScenarioResult {
  return {
    name,
    file: '',
    outcome,
    targets: { mttdSeconds: null, mttrSeconds: null },
    metrics: { mttdSeconds: null, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttrSeconds: null, detectionFloorSeconds: null, detectionCeilingSeconds: null, notificationFloorSeconds: null, notificationCeilingSeconds: null },
    expectations:
      ofCeiling === undefined ? [] : [{ kind: 'alert', name: 'ServiceDown', passed: true, observedSeconds: null, withinSeconds: null, message: '', floorSeconds: 2, ceilingSeconds: 4, ofCeiling }],
    timeline,
    durationSeconds: 20,
  };
}
const firing = (t: number, alert: string) => ev(t, 'alert-firing', { alert, labels: { service: 'ml-service' } });
const fault = ev(5, 'fault-start', { fault: 'crash', service: 'ml-service', id: 'x' });

describe('scorecard', () => {
  const results = [
    run('crash', 'passed', [fault, firing(7.5, 'ServiceDown'), firing(8, 'EndpointProbeFailed'), firing(9, 'ServiceDown')], 0.625),
    run('crash', 'passed', [fault, firing(8.5, 'ServiceDown')], 0.875),
    run('crash', 'failed', [fault]),
    run('baseline', 'failed', [firing(12, 'HighLatencyP95')]),
    run('baseline', 'passed', []),
    run('crash', 'errored', [fault, firing(6, 'ServiceDown')]),
  ];
  const card = computeScorecard([crash, baseline], results, 'native', new Date('2026-11-23T00:00:00Z'));

  it('builds the fault × alert matrix from the timelines, ignoring errored runs', () => {
    const row = card.rows.find((r) => r.scenario === 'crash')!;
    expect(row).toMatchObject({ faults: ['crash ml-service'], runs: 3, passedRuns: 2, detectedRuns: 2 });
    expect(row.alerts.ServiceDown).toMatchObject({ firedRuns: 2, expected: true, mttd: { p50: 2.5, max: 3.5, samples: 2 } });
    expect(row.alerts.EndpointProbeFailed).toMatchObject({ firedRuns: 1, expected: false });
    expect(card.alerts).toEqual(['EndpointProbeFailed', 'HighLatencyP95', 'ServiceDown']);
  });

  it('scores coverage, precision and baseline false positives', () => {
    expect(card.coverage).toEqual({ detectedRuns: 2, runs: 3, ratio: 0.667 });
    expect(card.precision).toEqual({ expected: 2, fired: 3, ratio: 0.667, unexpected: { EndpointProbeFailed: 1 } });
    expect(card.baseline).toEqual({ runs: 2, falsePositives: 1, alerts: { HighLatencyP95: 1 } });
    expect(card.mttdByAlert).toEqual({ ServiceDown: { p50: 2.5, p95: 3.5, max: 3.5, samples: 2 } });
  });

  it('gives each alert its MTTD as a fraction of the modelled ceiling, and the page shows it', () => {
    expect(card.ofCeilingByAlert).toEqual({ ServiceDown: { p50: 0.625, p95: 0.875, max: 0.875, samples: 2 } });
    expect(renderScorecardHtml(card)).toContain('0.63× / 0.88×');
  });

  it('renders a self-contained page with every alert and scenario', () => {
    const html = renderScorecardHtml(card);
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    for (const s of ['crash', 'baseline', 'ServiceDown', 'EndpointProbeFailed', '67%']) expect(html).toContain(s);
  });
});
