import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultEffect, loadDropEffect } from '../../../scripts/faults/effects.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { detectionBounds, readDetectionConfig } from '../../../scripts/scenario/detection-bounds.ts';
import { detectionContext } from '../../../scripts/scenario/detection-context.ts';
import { hingeShare, modelAlert, ratioCrossing, type DetectionContext, type ModelConfig, type ModelRule } from '../../../scripts/scenario/detection-model.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import { parseNameMatcher } from '../../../scripts/scenario/model.ts';
import { parsePromQL } from '../../../scripts/scenario/promql.ts';

/** Rules in one group (1s interval) unless `group` says otherwise. */
function config(rules: Partial<ModelRule>[], scrapeSeconds = 1): ModelConfig {
  return {
    scrapeSeconds,
    rules: rules.map((r, index) => ({ kind: 'alert', name: 'A', expr: 'up == 0', forSeconds: 0, labels: {}, group: 'g', intervalSeconds: 1, index, ...r })),
  };
}
const noFault: DetectionContext = { effect: null, historySeconds: null, requestRate: 10, predictShare: 1 };
const is = (name: string) => (n: string) => n === name;
const build = (c: ModelConfig, name = 'A', ctx = noFault, labels: Record<string, string> = {}) => modelAlert(c, is(name), labels, ctx)!;
const term = (m: { terms: { what: string; min: number; max: number }[] }, prefix: string) => m.terms.find((t) => t.what.startsWith(prefix))!;

describe('PromQL as the model reads it', () => {
  it('keeps ranges, offsets, functions, aggregations and comparisons; drops grouping', () => {
    expect(parsePromQL('sum by (service) (rate(x{job="a",code=~"5.."}[10s] offset 1m)) > 0.5')).toEqual({
      type: 'binary',
      op: '>',
      lhs: {
        type: 'aggregate',
        op: 'sum',
        args: [{ type: 'call', fn: 'rate', args: [{ type: 'selector', metric: 'x', matchers: [{ name: 'job', op: '=', value: 'a' }, { name: 'code', op: '=~', value: '5..' }], rangeSeconds: 10, offsetSeconds: 60 }] }],
      },
      rhs: { type: 'number', value: 0.5 },
    });
    expect(() => parsePromQL('rate(x[10s]')).toThrow(/syntax error/);
  });
});

describe('the detection model', () => {
  it('a rule on one sample: scrape, evaluation and the poll on top of `for` rounded to the evaluation grid', () => {
    const m = build(config([{ expr: 'up == 0', forSeconds: 2.5, intervalSeconds: 2 }]));
    expect(m).toMatchObject({ floor: 4, ceiling: 7.1 });
  });

  it('a range window adds its length and a sample where the fault’s size is unknown', () => {
    const m = build(config([{ expr: 'rate(errors_total[30s]) > 1', forSeconds: 5 }]));
    expect(term(m, 'build-up')).toMatchObject({ min: 0, max: 31 });
    expect(m.ceiling).toBe(1 + 31 + 1 + 5 + 0.1);
  });

  it('a recording rule read from another group adds that group’s interval; from earlier in the same group nothing', () => {
    const rules: Partial<ModelRule>[] = [
      { kind: 'record', name: 'job:x:rate10s', expr: 'sum(rate(x_total[10s]))', group: 'rec', intervalSeconds: 2 },
      { kind: 'alert', name: 'Far', expr: 'job:x:rate10s > 1', group: 'alerts' },
      { kind: 'record', name: 'job:y:rate10s', expr: 'sum(rate(y_total[10s]))', group: 'alerts' },
      { kind: 'alert', name: 'Near', expr: 'job:y:rate10s > 1', group: 'alerts' },
      { kind: 'alert', name: 'Before', expr: 'job:z > 1', group: 'alerts' },
      { kind: 'record', name: 'job:z', expr: 'sum(z)', group: 'alerts' },
    ];
    expect(term(build(config(rules), 'Far'), 'rule hops').max).toBe(2);
    expect(build(config(rules), 'Near').terms.some((t) => t.what.startsWith('rule hops'))).toBe(false);
    // Recorded after the alert in its own group: read from the previous evaluation.
    expect(term(build(config(rules), 'Before'), 'rule hops').max).toBe(1);
  });

  it('a baseline read with offset does not delay detection but needs history; a count guard says how much', () => {
    const m = build(config([{ expr: 'x < 0.3 * avg_over_time(x[1m] offset 10s) and count_over_time(x[1m] offset 10s) >= 30' }]));
    expect(m.historyNeededSeconds).toBe(40);
    expect(build(config([{ expr: 'x < 0.3 * avg_over_time(x[1m] offset 10s)' }])).historyNeededSeconds).toBe(70);
  });

  it('an error ratio against its threshold needs the share of the window the fault’s ratio gives, counted over the history since the reset', () => {
    // 10% errors over a full window must pass 5%: half the window.
    expect(ratioCrossing(0.1, 0.05, 30, Infinity)).toBe(15);
    // With 5s of error-free history, 5s of errors give 50/50 already.
    expect(ratioCrossing(0.1, 0.05, 30, 5)).toBe(5);
    expect(ratioCrossing(0.04, 0.05, 30, 5)).toBe(Infinity);
    const rules: Partial<ModelRule>[] = [
      {
        kind: 'record',
        name: 'svc:err:ratio30s',
        expr: 'sum(rate(http_server_request_duration_seconds_count{service="api-gateway",http_response_status_code=~"5.."}[30s])) / sum(rate(http_server_request_duration_seconds_count{service="api-gateway"}[30s]))',
      },
      { name: 'Burn', expr: 'svc:err:ratio30s > 0.05' },
    ];
    const ctx = (ratio: number): DetectionContext => ({
      effect: faultEffect({ type: 'errors', service: 'api-gateway', params: { ratio }, requestRate: 10, predictShare: 1 }),
      historySeconds: { min: 3, max: 3 },
      requestRate: 10,
      predictShare: 1,
    });
    const m = build(config(rules), 'Burn', ctx(0.1));
    // History at the first faulty sample: 3s + onset 0.1s + scrape 1s = 4.1s → 4.1s of errors, + a sample + one error interval (1 s at 10% of 10/s).
    expect(term(m, 'build-up').max).toBeCloseTo(4.1 + 1 + 1, 6);
    expect(m.neverFires).toBeUndefined();
    expect(build(config(rules), 'Burn', ctx(0.04)).neverFires).toMatch(/error ratio 0.04 does not exceed the threshold 0.05/);
  });

  it('a quantile over a window needs twice the share above the quantile slowed', () => {
    const rules: Partial<ModelRule>[] = [{ expr: 'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[10s]))) > 0.5' }];
    const ctx: DetectionContext = { effect: faultEffect({ type: 'latency', service: 'ml-service', params: { delay: '800ms' }, requestRate: 10, predictShare: 1 }), historySeconds: null, requestRate: 10, predictShare: 1 };
    const m = build(config(rules), 'A', ctx);
    expect(term(m, 'build-up').max).toBeCloseTo(0.02 * 10 + 1, 6);
    // The slowed request is measured when it ends: the onset is its delay.
    expect(term(m, 'onset')).toMatchObject({ min: 0.8, max: 0.9 });
  });

  it('deriv of a leaking resident set crosses when the hinge’s slope, 3p² − 2p³, reaches the threshold’s share', () => {
    expect(hingeShare(0.5)).toBeCloseTo(0.5, 6);
    const p = hingeShare(0.2);
    expect(3 * p * p - 2 * p ** 3).toBeCloseTo(0.2, 6);
    const ctx: DetectionContext = { effect: faultEffect({ type: 'memory-leak', service: 'ml-service', params: { rate: '20MB/s' }, requestRate: 10, predictShare: 1 }), historySeconds: null, requestRate: 10, predictShare: 1 };
    const m = build(config([{ expr: 'deriv(process_resident_memory_bytes[25s]) > 4 * 1024 * 1024', forSeconds: 5 }]), 'A', ctx);
    expect(term(m, 'build-up').max).toBeCloseTo(p * 25 + 1, 2);
  });

  it('a crash loop’s restart count is reached at its k-th restart: the onset, at the earliest and latest', () => {
    const effect = faultEffect({ type: 'crash-loop', service: 'ml-service', params: {}, requestRate: 10, predictShare: 1 });
    const m = build(config([{ expr: 'increase(process_restarts_total[30s]) >= 3' }]), 'A', { ...noFault, effect });
    expect(term(m, 'onset')).toEqual({ what: expect.stringMatching(/restart 3/), ...effect.restartsAt![2]! });
    // Restart 1 at once; then start, 1.5 s alive, back-off 0.5 s; start, 1.5 s, back-off 1 s.
    expect(effect.restartsAt![2]).toEqual({ min: 0.2 * 2 + 1.5 * 2 + 0.5 + 1, max: 0.5 + 1.5 * 2 + 1.5 * 2 + 0.5 + 1 });
    expect(m.floor).toBe(effect.restartsAt![2]!.min);
  });

  it('a rule whose signals the fault does not move is not expected to fire', () => {
    const effect = faultEffect({ type: 'bad-model', service: 'ml-service', params: {}, requestRate: 10, predictShare: 1 });
    expect(build(config([{ expr: 'up == 0' }]), 'A', { ...noFault, effect }).neverFires).toMatch(/moves none/);
  });

  it('several rules of one alert: the expectation’s labels pick them; the first that fires bounds it when all are sized', () => {
    const rec = (w: string): Partial<ModelRule> => ({
      kind: 'record',
      name: `r${w}`,
      expr: `sum(rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[${w}])) / sum(rate(http_server_request_duration_seconds_count[${w}]))`,
    });
    const rules = [rec('30s'), rec('3m'), { name: 'Burn', expr: 'r30s > 0.0144', labels: { pair: 'fast' } }, { name: 'Burn', expr: 'r3m > 0.006', labels: { pair: 'slow' } }];
    const effect = faultEffect({ type: 'errors', service: 'api-gateway', params: { ratio: 0.012 }, requestRate: 20, predictShare: 1 });
    const ctx: DetectionContext = { effect, historySeconds: { min: 8, max: 8 }, requestRate: 20, predictShare: 1 };
    // 1.2% errors: the 14.4x pair (1.44%) never fires; the 6x pair bounds the alert.
    const slow = build(config(rules), 'Burn', ctx, { pair: 'slow' });
    expect(build(config(rules), 'Burn', ctx)).toEqual(slow);
    expect(build(config(rules), 'Burn', ctx, { pair: 'fast' }).neverFires).toBeDefined();
  });

  it('a falling load is the fault of a scenario that has none: its onset is the falling stage', () => {
    expect(loadDropEffect(10, [{ target: 10, durationSeconds: 40 }, { target: 1, durationSeconds: 1 }])!.effect.onset).toEqual({ min: 40, max: 41 });
    expect(loadDropEffect(10, [{ target: 20, durationSeconds: 40 }])).toBeNull();
  });
});

describe('every built-in scenario’s alerts against the model', () => {
  const project = readDetectionConfig(join(PROJECT_ROOT, 'compose/prometheus'), [], join(PROJECT_ROOT, 'compose/alertmanager'));
  const files = ['bad-model-deploy', 'cpu-saturation', 'crash-loop', 'dependency-outage', 'error-burst', 'latency-regression', 'memory-leak', 'ml-latency-spike', 'nan-model', 'service-crash', 'slow-slo-burn', 'traffic-drop'];

  it('each expected alert has a floor below its ceiling, is expected to fire, and has a target at or above its ceiling', () => {
    for (const f of files) {
      const s = loadScenario(join(PROJECT_ROOT, 'scenarios', `${f}.yaml`));
      const ctx = detectionContext(s);
      for (const e of s.expectations) {
        if (e.kind !== 'alert') continue;
        const b = detectionBounds(project, e.alert, e.labels, ctx)!;
        const what = `${f}: ${JSON.stringify(e.alert)}`;
        expect(b, what).not.toBeNull();
        expect(b.neverFires, what).toBeUndefined();
        expect(b.floor, what).toBeLessThan(b.ceiling);
        expect(e.withinSeconds ?? s.targets.mttdSeconds ?? Infinity, what).toBeGreaterThanOrEqual(b.ceiling);
      }
    }
  });

  it('bounds a slow burn by the history the reset left, not by the 3m window', () => {
    const s = loadScenario(join(PROJECT_ROOT, 'scenarios', 'slow-slo-burn.yaml'));
    const b = detectionBounds(project, parseNameMatcher('SLOErrorBudgetBurn'), { slo: 'api-gateway-availability', long_window: '3m' }, detectionContext(s, 1))!;
    expect(b.ceiling).toBeLessThan(20);
    expect(b.floor).toBeGreaterThan(0);
  });
});
