import { describe, expect, it } from 'vitest';
import { parseNameMatcher, type Scenario } from '../../../scripts/scenario/model.ts';
import { aggregateRuns } from '../../../scripts/scenario/repeat.ts';
import type { ExpectationResult, ScenarioResult } from '../../../scripts/scenario/result.ts';

const scenario = (percentile: number): Scenario => ({
  name: 'crash',
  file: 'crash.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: 10, mttrSeconds: null },
  load: { rate: 10, durationSeconds: 30, requests: [] },
  faults: [],
  expectations: [{ kind: 'alert', alert: parseNameMatcher('ServiceDown'), labels: {}, withinSeconds: 5 }],
  repeat: { runs: 4, percentile },
});

function run(mttd: number | null, outcome: ScenarioResult['outcome'] = mttd !== null && mttd <= 5 ? 'passed' : 'failed'): ScenarioResult {
  const alert: ExpectationResult = { kind: 'alert', name: 'ServiceDown', passed: mttd !== null && mttd <= 5, observedSeconds: mttd, withinSeconds: 5, message: `m${mttd}` };
  const target: ExpectationResult = { kind: 'target', name: 'MTTD', passed: mttd !== null && mttd <= 10, observedSeconds: mttd, withinSeconds: 10, message: '' };
  return {
    name: 'crash',
    file: 'crash.yaml',
    outcome,
    targets: { mttdSeconds: 10, mttrSeconds: null },
    metrics: { mttdSeconds: mttd, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttrSeconds: null, detectionFloorSeconds: 2, detectionCeilingSeconds: 4, notificationFloorSeconds: 3, notificationCeilingSeconds: 5 },
    expectations: outcome === 'errored' ? [] : [alert, target],
    timeline: [],
    durationSeconds: 10,
  };
}

describe('repeat', () => {
  const runs = [run(3), run(4), run(6), run(3.5)];

  it('with p100 every run must hold the expectation; the failing run is named', () => {
    const r = aggregateRuns(scenario(100), runs);
    expect(r.outcome).toBe('failed');
    expect(r.expectations[0]).toMatchObject({ passed: false, observedSeconds: 6, message: 'held in 3/4 runs (needs 4, p100); a failing run: m6' });
    expect(r.repeat).toMatchObject({ runs: 4, percentile: 100, passedRuns: 3, outcomes: ['passed', 'passed', 'failed', 'passed'] });
    expect(r.repeat!.stats.mttdSeconds).toEqual({ p50: 3.5, p95: 6, max: 6, samples: 4 });
  });

  it('at p75 three of four suffice, and times and targets are taken at p75', () => {
    const r = aggregateRuns(scenario(75), runs);
    expect(r.outcome).toBe('passed');
    expect(r.metrics.mttdSeconds).toBe(4);
    expect(r.expectations[1]).toMatchObject({ kind: 'target', passed: true, observedSeconds: 4 });
  });

  it('an errored run does not count as a run that held; when that sinks the verdict the outcome is errored, with its error', () => {
    const erroredRun = { ...run(null, 'errored'), error: { code: 'COMPONENT_DIED', message: 'prometheus died' } };
    const p100 = aggregateRuns(scenario(100), [run(3), erroredRun]);
    expect(p100.repeat!.outcomes).toEqual(['passed', 'errored']);
    expect(p100.outcome).toBe('errored');
    expect(p100.error).toEqual({ code: 'COMPONENT_DIED', message: 'prometheus died' });
    expect(p100.expectations[0]).toMatchObject({ passed: false, message: 'held in 1/2 runs (needs 2, p100; 1 errored)' });
    // At p50 one run of two suffices: the errored one is reported, not hidden, but does not decide.
    const p50 = aggregateRuns(scenario(50), [run(3), erroredRun]);
    expect(p50.outcome).toBe('passed');
    expect(p50.expectations[0]!.message).toBe('held in 1/2 runs (needs 1, p50; 1 errored)');
    expect(aggregateRuns(scenario(100), [run(null, 'errored'), run(null, 'errored')]).outcome).toBe('errored');
    // Runs that ran and failed by themselves: a monitoring failure, whatever else errored.
    const failedAnyway = aggregateRuns(scenario(100), [run(6), run(7), erroredRun]);
    expect(failedAnyway.outcome).toBe('failed');
    expect(failedAnyway.error).toBeUndefined();
  });
});
