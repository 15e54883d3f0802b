import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonReporter, toReportDocument } from '../../../scripts/reporters/json.ts';
import { erroredCrash, failedCrash, passedCrash, skipped, suite } from './fixtures.ts';

const METRIC_KEYS = ['mttdSeconds', 'timeToNotifySeconds', 'timeToRemediateSeconds', 'mttrSeconds', 'detectionFloorSeconds', 'detectionCeilingSeconds', 'notificationFloorSeconds', 'notificationCeilingSeconds', 'mttdOfCeiling'];
const EXPECTATION_KEYS = ['kind', 'name', 'passed', 'observedSeconds', 'withinSeconds', 'message'];
/** Alert expectations also carry the detection model's bounds and the fraction of the ceiling. */
const ALERT_BOUND_KEYS = ['floorSeconds', 'ceilingSeconds', 'ofCeiling'];
const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

/** What docs/contracts.md ("Reports") promises, checked on the document as a consumer parses it. */
function expectContract(doc: any): void {
  expect(typeof doc.passed).toBe('boolean');
  expect(['native', 'docker']).toContain(doc.runtime);
  expect(Array.isArray(doc.scenarios)).toBe(true);
  for (const s of doc.scenarios) {
    expect(typeof s.name).toBe('string');
    expect(['passed', 'failed', 'errored', 'skipped']).toContain(s.outcome);
    expect(Object.keys(s.metrics).sort()).toEqual([...METRIC_KEYS].sort());
    for (const k of METRIC_KEYS) expect(numOrNull(s.metrics[k]), k).toBe(true);
    for (const e of s.expectations) {
      const bounded = e.kind === 'alert' && 'ceilingSeconds' in e;
      expect(Object.keys(e).sort()).toEqual([...EXPECTATION_KEYS, ...(bounded ? ALERT_BOUND_KEYS : [])].sort());
      if (bounded) for (const k of ALERT_BOUND_KEYS) expect(numOrNull(e[k]), k).toBe(true);
      expect(typeof e.kind).toBe('string');
      expect(typeof e.name).toBe('string');
      expect(typeof e.passed).toBe('boolean');
      expect(numOrNull(e.observedSeconds) && numOrNull(e.withinSeconds)).toBe(true);
      expect(typeof e.message).toBe('string');
    }
    for (const e of s.timeline) {
      expect(Object.keys(e).slice(0, 4)).toEqual(['t', 'at', 'kind', 'detail']);
      expect(typeof e.t).toBe('number');
      expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof e.detail).toBe('string');
    }
  }
}

const roundTrip = (doc: unknown) => JSON.parse(JSON.stringify(doc));

describe('report.json', () => {
  it('follows the contract for passed, failed, errored and skipped scenarios', () => {
    const doc = roundTrip(toReportDocument(suite([passedCrash(), failedCrash(), erroredCrash(), skipped()])));
    expectContract(doc);
    expect(doc).toMatchObject({ passed: false, runtime: 'native', startedAt: '2026-11-22T14:00:00.000Z', durationSeconds: 83.2 });
    expect(doc.counts).toEqual({ passed: 1, failed: 1, errored: 1, skipped: 1 });
    expect(doc.scenarios.map((s: any) => s.outcome)).toEqual(['passed', 'failed', 'errored', 'skipped']);
  });

  it('carries the crash scenario’s metrics, expectations and timeline as measured', () => {
    const [s] = roundTrip(toReportDocument(suite([passedCrash()]))).scenarios;
    expect(s.metrics).toEqual({ mttdSeconds: 3.104, timeToNotifySeconds: 4.212, timeToRemediateSeconds: 4.9, mttrSeconds: 12.6, detectionFloorSeconds: 2, detectionCeilingSeconds: 4, notificationFloorSeconds: 3, notificationCeilingSeconds: 5, mttdOfCeiling: 0.78 });
    expect(s.expectations.map((e: any) => e.kind)).toEqual(['alert', 'notification', 'remediation', 'resolved', 'target', 'target']);
    expect(s.expectations[0]).toEqual({ kind: 'alert', name: 'ServiceDown', passed: true, observedSeconds: 3.104, withinSeconds: 10, message: 'alert ServiceDown {"service":"ml-service"} firing after 3.104s (within 10s)', floorSeconds: 2, ceilingSeconds: 4, ofCeiling: 0.78 });
    const fault = s.timeline.find((e: any) => e.kind === 'fault-start');
    expect(fault).toEqual({ t: 5.433, at: '2026-11-22T14:00:05.433Z', kind: 'fault-start', detail: 'crash on ml-service', fault: 'crash', service: 'ml-service', id: 'f-1' });
    // Events keep their own fields beyond the contract's four.
    expect(s.timeline.find((e: any) => e.kind === 'alert-firing').labels).toMatchObject({ service: 'ml-service' });
    expect(s).toMatchObject({ file: 'scenarios/service-crash.yaml', durationSeconds: 31.2, targets: { mttdSeconds: 10, mttrSeconds: 30 }, load: { sent: 300, failed: 38, rate: 10 } });
    expect(s).not.toHaveProperty('error');
  });

  it('keeps metrics that never happened as null instead of dropping them', () => {
    const f = failedCrash();
    (f.metrics as any).mttrSeconds = undefined;
    f.metrics.timeToNotifySeconds = Number.NaN;
    const [s] = roundTrip(toReportDocument(suite([f]))).scenarios;
    expect(s.metrics).toMatchObject({ mttrSeconds: null, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttdSeconds: 3.104 });
    expect(s.expectations.find((e: any) => e.kind === 'remediation')).toMatchObject({ passed: false, observedSeconds: null, withinSeconds: 20 });
  });

  it('explains an errored scenario with its error', () => {
    const [s] = roundTrip(toReportDocument(suite([erroredCrash()]))).scenarios;
    expect(s.error).toEqual({ code: 'INJECTION_FAILED', message: 'chaos API of ml-service answered 503 to POST /chaos/latency', hint: 'check `npx sandbox logs ml-service`' });
    expect(s.expectations).toEqual([]);
  });

  it('carries an attached run’s background alerts, and has no such key otherwise', () => {
    const attached = { ...passedCrash(), backgroundAlerts: [{ alert: 'Watchdog', labels: { severity: 'none' }, state: 'firing' as const, reason: 'firing-before-start' as const, firstSeenSeconds: 0.02 }] };
    const [a, plain] = roundTrip(toReportDocument(suite([attached, passedCrash()]))).scenarios;
    expect(a.backgroundAlerts).toEqual([{ alert: 'Watchdog', labels: { severity: 'none' }, state: 'firing', reason: 'firing-before-start', firstSeenSeconds: 0.02 }]);
    expect(plain).not.toHaveProperty('backgroundAlerts');
  });

  it('writes report.json into a missing report dir and replaces an old one whole', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'json-')), 'reports');
    const reporter = new JsonReporter(dir);
    await reporter.onSuiteEnd(suite([failedCrash()]));
    writeFileSync(join(dir, 'other.txt'), 'kept');
    const report = suite([passedCrash()]);
    await reporter.onSuiteEnd(report);
    expect(readdirSync(dir).sort()).toEqual(['other.txt', 'report.json']);
    const text = readFileSync(join(dir, 'report.json'), 'utf8');
    expect(JSON.parse(text)).toEqual(roundTrip(toReportDocument(report)));
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('fails with a SandboxError naming the path when the report dir cannot be created', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'json-')), 'a-file');
    writeFileSync(file, '');
    await expect(new JsonReporter(join(file, 'reports')).onSuiteEnd(suite([]))).rejects.toMatchObject({
      name: 'SandboxError',
      code: 'WRITE_FAILED',
      message: expect.stringContaining(join(file, 'reports', 'report.json')),
    });
  });
});
