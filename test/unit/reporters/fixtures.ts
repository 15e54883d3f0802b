import type { ScenarioResult, SuiteReport } from '../../../scripts/scenario/result.ts';
import { describe as describeEvent, type TimelineEvent, type TimelineEventBody } from '../../../scripts/scenario/timeline.ts';

/**
 * Results as the runner produces them for the crash scenario: repaired (passed), with
 * remediation off (failed), and with the sandbox unable to inject (errored). Times and
 * messages follow a real run of scenarios/service-crash.yaml.
 */

const origin = Date.UTC(2026, 10, 22, 14, 0, 0);
export const ev = (t: number, body: TimelineEventBody): TimelineEvent =>
  ({ ...body, t, at: new Date(origin + t * 1000).toISOString(), detail: describeEvent(body) }) as TimelineEvent;

const labels = { alertname: 'ServiceDown', service: 'ml-service', severity: 'critical', sandbox_run: 'r1' };
const crash = { fault: 'crash', service: 'ml-service', id: 'f-1' } as const;

export function passedCrash(name = 'service-crash'): ScenarioResult {
  return {
    name,
    file: 'scenarios/service-crash.yaml',
    description: 'ml-service crashes under load and the remediation controller restarts it',
    outcome: 'passed',
    targets: { mttdSeconds: 10, mttrSeconds: 30 },
    metrics: { mttdSeconds: 3.104, timeToNotifySeconds: 4.212, timeToRemediateSeconds: 4.9, mttrSeconds: 12.6, detectionFloorSeconds: 2, detectionCeilingSeconds: 4, notificationFloorSeconds: 3, notificationCeilingSeconds: 5, mttdOfCeiling: 0.78 },
    expectations: [
      { kind: 'alert', name: 'ServiceDown', passed: true, observedSeconds: 3.104, withinSeconds: 10, message: 'alert ServiceDown {"service":"ml-service"} firing after 3.104s (within 10s)', floorSeconds: 2, ceilingSeconds: 4, ofCeiling: 0.78 },
      { kind: 'notification', name: 'pagerduty: ServiceDown', passed: true, observedSeconds: 4.212, withinSeconds: 15, message: 'pagerduty to receive ServiceDown after 4.212s (within 15s)' },
      { kind: 'remediation', name: 'restart ml-service', passed: true, observedSeconds: 4.9, withinSeconds: 20, message: 'remediation restart ml-service to succeed after 4.9s (within 20s)' },
      { kind: 'resolved', name: 'ServiceDown', passed: true, observedSeconds: 12.6, withinSeconds: 30, message: 'alert ServiceDown resolved after 12.6s (within 30s)' },
      { kind: 'target', name: 'MTTD', passed: true, observedSeconds: 3.104, withinSeconds: 10, message: 'MTTD 3.104s within target 10s' },
      { kind: 'target', name: 'MTTR', passed: true, observedSeconds: 12.6, withinSeconds: 30, message: 'MTTR 12.6s within target 30s' },
    ],
    timeline: [
      ev(0.412, { kind: 'scenario-start', scenario: name }),
      ev(0.431, { kind: 'load-start', rate: 10, durationSeconds: 30 }),
      ev(5.433, { kind: 'fault-start', ...crash }),
      ev(5.51, { kind: 'process-exit', service: 'ml-service', code: 1, signal: null }),
      ev(6.6, { kind: 'alert-pending', alert: 'ServiceDown', labels }),
      ev(8.537, { kind: 'alert-firing', alert: 'ServiceDown', labels }),
      ev(9.645, { kind: 'notification', receiver: 'pagerduty', alert: 'ServiceDown', status: 'firing' }),
      ev(9.65, { kind: 'notification', receiver: 'webhook', alert: 'ServiceDown', status: 'firing' }),
      ev(9.7, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'started' }),
      ev(10.31, { kind: 'process-start', service: 'ml-service', restarts: 1 }),
      ev(10.333, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'succeeded' }),
      ev(10.34, { kind: 'fault-end', ...crash, reason: 'remediated' }),
      ev(18.033, { kind: 'alert-resolved', alert: 'ServiceDown', labels }),
      ev(19.2, { kind: 'notification', receiver: 'pagerduty', alert: 'ServiceDown', status: 'resolved' }),
      ev(30.44, { kind: 'load-end', sent: 300, failed: 38 }),
      ev(30.5, { kind: 'scenario-end' }),
    ],
    durationSeconds: 31.2,
    load: { sent: 300, failed: 38, rate: 10, latencyMs: { p50: 4.1, p95: 11.8, p99: 25.3, max: 1003 } },
  };
}

/** The same crash with remediation off: detected and notified, never repaired. */
export function failedCrash(name = 'service-crash-no-remediation'): ScenarioResult {
  const p = passedCrash(name);
  return {
    ...p,
    outcome: 'failed',
    metrics: { ...p.metrics, timeToRemediateSeconds: null, mttrSeconds: null },
    expectations: [
      p.expectations[0]!,
      p.expectations[1]!,
      {
        kind: 'remediation',
        name: 'restart ml-service',
        passed: false,
        observedSeconds: null,
        withinSeconds: 20,
        message: 'expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run',
      },
      { kind: 'resolved', name: 'ServiceDown', passed: false, observedSeconds: null, withinSeconds: 30, message: 'expected alert ServiceDown resolved within 30s, but it was still firing when the scenario ended' },
      p.expectations[4]!,
      { kind: 'target', name: 'MTTR', passed: false, observedSeconds: null, withinSeconds: 30, message: 'expected MTTR within 30s, but ServiceDown never resolved' },
    ],
    timeline: [
      ...p.timeline.slice(0, 8),
      ev(9.7, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'dry-run' }),
      ev(30.44, { kind: 'load-end', sent: 300, failed: 251 }),
      ev(35.41, { kind: 'fault-end', ...crash, reason: 'scenario-end' }),
      ev(35.5, { kind: 'scenario-end' }),
    ],
    durationSeconds: 36.1,
    load: { sent: 300, failed: 251, rate: 10 },
  };
}

/** The sandbox could not inject the fault: no verdict on the monitoring at all. */
export function erroredCrash(name = 'latency-spike'): ScenarioResult {
  return {
    name,
    file: 'scenarios/latency-spike.yaml',
    outcome: 'errored',
    targets: { mttdSeconds: 30, mttrSeconds: 120 },
    metrics: { mttdSeconds: null, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttrSeconds: null, detectionFloorSeconds: 2, detectionCeilingSeconds: 4, notificationFloorSeconds: 3, notificationCeilingSeconds: 5 },
    expectations: [],
    timeline: [ev(0.3, { kind: 'scenario-start', scenario: name }), ev(0.31, { kind: 'load-start', rate: 20, durationSeconds: 90 }), ev(15.4, { kind: 'scenario-end' })],
    durationSeconds: 15.9,
    error: { code: 'INJECTION_FAILED', message: 'chaos API of ml-service answered 503 to POST /chaos/latency', hint: 'check `npx sandbox logs ml-service`' },
  };
}

export function skipped(name = 'dependency-outage'): ScenarioResult {
  return {
    name,
    file: 'scenarios/dependency-outage.yaml',
    outcome: 'skipped',
    targets: { mttdSeconds: 20, mttrSeconds: null },
    metrics: { mttdSeconds: null, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttrSeconds: null, detectionFloorSeconds: null, detectionCeilingSeconds: null, notificationFloorSeconds: null, notificationCeilingSeconds: null },
    expectations: [],
    timeline: [],
    durationSeconds: 0,
  };
}

export function suite(scenarios: ScenarioResult[]): SuiteReport {
  return {
    passed: scenarios.every((s) => s.outcome === 'passed'),
    runtime: 'native',
    startedAt: '2026-11-22T14:00:00.000Z',
    durationSeconds: Math.round(scenarios.reduce((n, s) => n + s.durationSeconds, 0) * 100) / 100,
    scenarios,
  };
}

/** A name with every character XML and HTML need escaped. */
export const nastyName = `a<b>&"c'd]]>`;
