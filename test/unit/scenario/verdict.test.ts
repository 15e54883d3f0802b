import { describe, expect, it } from 'vitest';
import { parseNameMatcher, type Scenario } from '../../../scripts/scenario/model.ts';
import { describe as describeEvent, type TimelineEvent, type TimelineEventBody } from '../../../scripts/scenario/timeline.ts';
import { computeMetrics, evaluateExpectations } from '../../../scripts/scenario/verdict.ts';

const ev = (t: number, body: TimelineEventBody): TimelineEvent =>
  ({ ...body, t, at: new Date(Date.UTC(2026, 10, 22, 14, 0, 0) + t * 1000).toISOString(), detail: describeEvent(body) }) as TimelineEvent;

const scenario: Scenario = {
  name: 'crash',
  file: 'crash.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: 10, mttrSeconds: 30 },
  load: { rate: 10, durationSeconds: 30, requests: [] },
  faults: [{ type: 'crash', service: 'ml-service', atSeconds: 5, durationSeconds: null, params: {} }],
  expectations: [
    { kind: 'alert', alert: parseNameMatcher('ServiceDown'), labels: { service: 'ml-service' }, withinSeconds: null },
    { kind: 'notification', receiver: 'pagerduty', alert: parseNameMatcher('ServiceDown'), withinSeconds: 15 },
    { kind: 'remediation', action: 'restart', service: 'ml-service', withinSeconds: 20 },
    { kind: 'resolved', alert: parseNameMatcher('/Service.*/'), withinSeconds: null },
    { kind: 'noOtherAlerts', enabled: true },
  ],
  repeat: { runs: 1, percentile: 100 },
};

const labels = { service: 'ml-service', severity: 'critical' };
const good: TimelineEvent[] = [
  ev(0, { kind: 'scenario-start', scenario: 'crash' }),
  // An alert that fired before the fault does not count as detection.
  ev(1, { kind: 'alert-firing', alert: 'ServiceDown', labels }),
  ev(2, { kind: 'alert-resolved', alert: 'ServiceDown', labels }),
  ev(5, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f1' }),
  ev(7, { kind: 'alert-pending', alert: 'ServiceDown', labels }),
  ev(9.2, { kind: 'alert-firing', alert: 'ServiceDown', labels }),
  ev(10.5, { kind: 'notification', receiver: 'slack', alert: 'ServiceDown', status: 'firing' }),
  ev(10.6, { kind: 'notification', receiver: 'pagerduty', alert: 'ServiceDown', status: 'firing' }),
  ev(11.4, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'succeeded' }),
  ev(14, { kind: 'alert-resolved', alert: 'ServiceDown', labels }),
];

describe('verdicts from the timeline', () => {
  it('measures MTTD, time to notify, time to remediate and MTTR from the first fault', () => {
    expect(computeMetrics(scenario, good, { floor: 2, ceiling: 4, notification: { floor: 3, ceiling: 5 } })).toEqual({
      mttdSeconds: 4.2,
      timeToNotifySeconds: 5.5,
      timeToRemediateSeconds: 6.4,
      mttrSeconds: 9,
      detectionFloorSeconds: 2,
      detectionCeilingSeconds: 4,
      notificationFloorSeconds: 3,
      notificationCeilingSeconds: 5,
      // Slower than the ceiling: 4.2 / 4.
      mttdOfCeiling: 1.05,
    });
    // Without notification bounds (or without a rule for the alert) they are unknown, not zero.
    expect(computeMetrics(scenario, good, { floor: 2, ceiling: 4 })).toMatchObject({ notificationFloorSeconds: null, notificationCeilingSeconds: null });
    expect(computeMetrics(scenario, good, null)).toMatchObject({ detectionFloorSeconds: null, notificationCeilingSeconds: null, mttdOfCeiling: null });
  });

  it('passes every expectation that held in time', () => {
    const results = evaluateExpectations(scenario, good);
    expect(results.map((r) => [r.kind, r.passed, r.observedSeconds])).toEqual([
      ['alert', true, 4.2],
      ['notification', true, 5.6],
      ['remediation', true, 6.4],
      ['resolved', true, 9],
      ['noOtherAlerts', true, null],
    ]);
    // The alert's window defaults to the scenario's MTTD target.
    expect(results[0]!.withinSeconds).toBe(10);
  });

  it('fails a late alert and says what was expected and observed', () => {
    const late = good.map((e) => (e.kind === 'alert-firing' && e.t > 5 ? { ...e, t: 16 } : e));
    const [alert] = evaluateExpectations(scenario, late);
    expect(alert).toMatchObject({ passed: false, observedSeconds: 11 });
    expect(alert!.message).toBe('expected alert ServiceDown {"service":"ml-service"} firing within 10s, observed after 11s');
  });

  it('fails when labels do not match', () => {
    const other = good.map((e) => (e.kind === 'alert-firing' ? { ...e, labels: { service: 'api-gateway' } } : e));
    // It did fire, with other labels: the message says so rather than "never fired".
    expect(evaluateExpectations(scenario, other)[0]).toMatchObject({
      passed: false,
      observedSeconds: null,
      message: 'expected alert ServiceDown {"service":"ml-service"} firing within 10s, but it fired only with other labels: {"service":"api-gateway"}',
    });
  });

  it('fails the remediation expectation when the controller only dry-ran', () => {
    const dry = good.map((e) => (e.kind === 'remediation' ? { ...e, result: 'dry-run' as const } : e));
    const r = evaluateExpectations(scenario, dry).find((x) => x.kind === 'remediation')!;
    expect(r.passed).toBe(false);
    expect(r.message).toBe('expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run at 6.4s');
  });

  it('never contradicts the timeline when what happened before the first fault does not count (issue 17: two Prometheus servers on one Alertmanager)', () => {
    // A second Prometheus fired ServiceDown from stale data before the fault: the controller
    // restarted ml-service then, and skipped the real one (cooldown); only the pre-fault
    // delivery reached pagerduty; this Prometheus saw ServiceDown only before the fault.
    const timeline = [
      ev(0, { kind: 'scenario-start', scenario: 'crash' }),
      ev(1, { kind: 'alert-firing', alert: 'ServiceDown', labels }),
      ev(1.5, { kind: 'notification', receiver: 'pagerduty', alert: 'ServiceDown', status: 'firing' }),
      ev(2, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'succeeded' }),
      ev(5, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f1' }),
      ev(9, { kind: 'notification', receiver: 'pagerduty', alert: 'ServiceDown', status: 'resolved' }),
      ev(10, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'skipped' }),
    ] as TimelineEvent[];
    const [alert, notification, remediation, resolved] = evaluateExpectations(scenario, timeline);
    expect(alert!.message).toBe('expected alert ServiceDown {"service":"ml-service"} firing within 10s, but it fired only 4s before the first fault (not counted)');
    expect(notification!.message).toBe(
      'expected pagerduty to receive ServiceDown within 15s, but it reached only pagerduty (firing, 3.5s before the first fault (not counted)), pagerduty (resolved)',
    );
    expect(remediation!.message).toBe(
      'expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: succeeded 3s before the first fault (not counted); restart ml-service: skipped at 5s',
    );
    expect(resolved!.message).toBe('expected alert /Service.*/ resolved within 30s, but it fired only 4s before the first fault (not counted)');
  });

  it('fails a notification that reached another receiver only', () => {
    const slackOnly = good.filter((e) => !(e.kind === 'notification' && e.receiver === 'pagerduty'));
    expect(evaluateExpectations(scenario, slackOnly)[1]!.message).toMatch(/but it reached only slack/);
  });

  it('fails noOtherAlerts naming the unexpected alert', () => {
    const extra = [...good, ev(12, { kind: 'alert-firing', alert: 'HighLatency', labels: {} })];
    const r = evaluateExpectations(scenario, extra).find((x) => x.kind === 'noOtherAlerts')!;
    expect(r).toMatchObject({ passed: false, message: 'expected no other alerts, but HighLatency fired' });
  });

  it('fails resolved when the alert is still firing at the end', () => {
    const unresolved = good.filter((e) => !(e.kind === 'alert-resolved' && e.t > 5));
    const r = evaluateExpectations(scenario, unresolved).find((x) => x.kind === 'resolved')!;
    expect(r).toMatchObject({ passed: false, message: expect.stringMatching(/still firing when the scenario ended/) });
    expect(computeMetrics(scenario, unresolved, null).mttrSeconds).toBeNull();
  });
});

describe('slo expectation', () => {
  const slo: Scenario = { ...scenario, expectations: [{ kind: 'slo', slo: 'api-gateway-availability', maxBudgetBurned: 0.25 }] };
  it('passes within the bound and names the share burned', () => {
    const [r] = evaluateExpectations(slo, [ev(30, { kind: 'slo-budget', slo: 'api-gateway-availability', errorRatio: 0.01, budgetBurned: 0.2 })]);
    expect(r).toMatchObject({ kind: 'slo', passed: true, message: 'SLO api-gateway-availability burned 20% of its error budget (at most 25%)' });
  });
  it('fails above the bound, saying what was expected and observed', () => {
    const [r] = evaluateExpectations(slo, [ev(30, { kind: 'slo-budget', slo: 'api-gateway-availability', errorRatio: 0.05, budgetBurned: 0.6 })]);
    expect(r).toMatchObject({ passed: false, message: 'expected SLO api-gateway-availability to burn at most 25% of its error budget, but it burned 60% (error ratio 5.00%)' });
  });
  it('fails when nothing was measured', () => {
    const [r] = evaluateExpectations(slo, []);
    expect(r).toMatchObject({ passed: false, message: expect.stringMatching(/could not be measured/) });
  });
});
