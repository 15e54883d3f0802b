import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, startSandbox, type Sandbox } from '../../scripts/api.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

/**
 * Verdicts are honest: break the monitoring under test (in the running sandbox's rendered rule
 * files, reloaded into the real Prometheus) and the scenario that relies on it fails, naming
 * what it expected and what it saw.
 */
describe('verdicts fail when the monitoring is broken', () => {
  let sandbox: Sandbox;
  let rulesDir: string;

  beforeAll(async () => {
    const { stateDir, portOffset } = await isolatedSandbox('e2e-verdicts-');
    sandbox = await startSandbox({ runtime: 'native', stateDir, portOffset });
    rulesDir = join(sandbox.layout.configDir('prometheus'), 'rules');
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  async function editRules(file: string, edit: (text: string) => string): Promise<() => Promise<void>> {
    const path = join(rulesDir, file);
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, edit(original));
    await reload();
    return async () => {
      writeFileSync(path, original);
      await reload();
    };
  }
  // Prometheus runs without its lifecycle API: the control API reloads it (SIGHUP), with the session's token.
  async function reload(): Promise<void> {
    const res = await fetch(`${sandbox.info.controlUrl}/stack/prometheus/reload`, { method: 'POST', headers: { authorization: `Bearer ${sandbox.info.chaosToken}` } });
    expect(res.ok, await res.text()).toBe(true);
  }

  it('service-crash fails when the ServiceDown rule is gone', async () => {
    const restore = await editRules('availability.yml', (t) => t.replace('alert: ServiceDown', 'alert: ServiceDownRenamed'));
    try {
      const r = await runScenario(sandbox, 'scenarios/service-crash.yaml');
      expect(r.outcome).toBe('failed');
      const alert = r.expectations.find((e) => e.kind === 'alert')!;
      expect(alert).toMatchObject({ passed: false, observedSeconds: null });
      expect(alert.message).toMatch(/^expected alert ServiceDown \{"service":"ml-service"\} firing within 10s, but it never fired \(alerts that fired: .*ServiceDownRenamed/);
    } finally {
      await restore();
    }
  });

  it('error-burst fails when the 5xx threshold is raised out of reach', async () => {
    const restore = await editRules('red.yml', (t) => t.replace('service:http_server_requests_5xx:ratio_rate10s > 0.05', 'service:http_server_requests_5xx:ratio_rate10s > 0.99'));
    try {
      const r = await runScenario(sandbox, 'scenarios/error-burst.yaml');
      expect(r.outcome).toBe('failed');
      const alert = r.expectations.find((e) => e.kind === 'alert' && e.name === 'HighErrorRate')!;
      expect(alert.passed).toBe(false);
      expect(alert.message).toMatch(/^expected alert HighErrorRate \{"service":"ml-service"\} firing within 15s, but it never fired/);
    } finally {
      await restore();
    }
  });

  it('baseline fails when an alert fires with nothing broken, naming it', async () => {
    // It starts firing a few seconds from now: after the scenario's reset has checked that no
    // alert is active, during its steady load.
    const from = Math.floor(Date.now() / 1000) + 12;
    const restore = await editRules('availability.yml', (t) =>
      t.replace(
        '    rules:\n',
        `    rules:\n      - alert: AlwaysNoisy\n        expr: vector(time()) > ${from}\n        labels: { severity: info }\n        annotations: { summary: noise, runbook_url: x }\n`,
      ),
    );
    try {
      const r = await runScenario(sandbox, 'scenarios/baseline.yaml');
      expect(r.outcome).toBe('failed');
      expect(r.expectations.find((e) => e.kind === 'noOtherAlerts')).toMatchObject({ passed: false, message: expect.stringMatching(/expected no other alerts, but .*AlwaysNoisy.* fired/) });
    } finally {
      await restore();
    }
  });
});
