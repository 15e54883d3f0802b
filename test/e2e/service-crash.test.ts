import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

/**
 * The walking skeleton end to end: the real CLI starts Prometheus, Alertmanager, the services,
 * sink and controller, crashes ml-service under load, and judges what really happened.
 */
describe('service-crash scenario through `sandbox test`', () => {
  it('detects, notifies, remediates and resolves; report.json follows the contract', async () => {
    const { env, stateDir } = await isolatedSandbox('e2e-crash-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'scenarios/service-crash.yaml', '--runtime', 'native', '--report-dir', reportDir], env);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/MTTD/);
    expect(r.stdout).toMatch(/MTTR/);

    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ passed: true, runtime: 'native' });
    const [s] = report.scenarios;
    expect(s).toMatchObject({ name: 'service-crash', outcome: 'passed' });
    const m = s.metrics;
    // The detection model (scrape 1s, evaluation 1s, `for: 2s`, plus the 100 ms alerts poll and
    // the evaluation phase; scenario/detection-model.ts).
    expect(m.detectionFloorSeconds).toBe(2);
    expect(m.detectionCeilingSeconds).toBe(4.3);
    // + Alertmanager's group_wait (1s) for the first delivery.
    expect(m.notificationFloorSeconds).toBe(3);
    expect(m.notificationCeilingSeconds).toBe(5.3);
    expect(m.timeToNotifySeconds).toBeGreaterThanOrEqual(m.notificationFloorSeconds);
    // Detection can't beat the rule's floor; the watcher polls every 100 ms.
    expect(m.mttdSeconds).toBeGreaterThanOrEqual(m.detectionFloorSeconds);
    expect(m.mttdSeconds).toBeLessThanOrEqual(10);
    expect(m.timeToNotifySeconds).toBeGreaterThan(m.mttdSeconds);
    expect(m.mttrSeconds).toBeGreaterThan(m.timeToNotifySeconds);
    for (const e of s.expectations) expect(e).toMatchObject({ passed: true, kind: expect.any(String), name: expect.any(String), message: expect.any(String) });
    expect(s.expectations.map((e: { kind: string }) => e.kind)).toEqual(['alert', 'notification', 'remediation', 'resolved', 'target', 'target']);

    const kinds = s.timeline.map((e: { kind: string }) => e.kind);
    for (const k of ['fault-start', 'process-exit', 'alert-pending', 'alert-firing', 'notification', 'remediation', 'process-start', 'alert-resolved']) {
      expect(kinds).toContain(k);
    }
    for (const e of s.timeline) {
      expect(e).toMatchObject({ t: expect.any(Number), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), kind: expect.any(String), detail: expect.any(String) });
    }
    // The crash really happened and was really repaired: the process exited after the fault
    // and a new one started after the remediation.
    const at = (kind: string) => s.timeline.find((e: { kind: string }) => e.kind === kind).t;
    expect(at('process-exit')).toBeGreaterThanOrEqual(at('fault-start'));
    // `t` counts from the scenario's start, after the reset and Prometheus' first scrape
    // (docs/contracts.md, "Reports"): the crash scheduled `at: 3s` starts at t ≈ 3, not 3 plus
    // the seconds the reset took.
    expect(s.timeline[0]).toMatchObject({ kind: 'scenario-start' });
    expect(s.timeline[0].t).toBeLessThan(0.1);
    expect(at('fault-start')).toBeGreaterThan(2.9);
    expect(at('fault-start')).toBeLessThan(4.5);
    expect(at('alert-firing')).toBeGreaterThan(at('process-exit'));
    expect(at('process-start')).toBeGreaterThan(at('alert-firing'));
    expect(readFileSync(join(reportDir, 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="service-crash"/);
  });

  it('with --no-remediation the remediation expectation fails and the exit code is 1', async () => {
    const { env, stateDir } = await isolatedSandbox('e2e-crash-norem-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'scenarios/service-crash.yaml', '--runtime', 'native', '--no-remediation', '--report-dir', reportDir], env);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const [s] = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')).scenarios;
    expect(s.outcome).toBe('failed');
    const byKind = Object.fromEntries(s.expectations.map((e: { kind: string }) => [e.kind, e]));
    // Detection and notification still work; only the repair is missing.
    expect(byKind.alert.passed).toBe(true);
    expect(byKind.notification.passed).toBe(true);
    expect(byKind.remediation).toMatchObject({ passed: false, observedSeconds: null });
    expect(byKind.remediation.message).toMatch(/expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run/);
    expect(byKind.resolved.passed).toBe(false);
  });
});
