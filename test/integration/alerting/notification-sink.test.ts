import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../scripts/alerting/notification-sink/types.ts';
import { addReceiverAuthorization } from '../../../scripts/runtime/config/alertmanager-receivers.ts';

/**
 * The real notification sink behind a real Alertmanager running compose/alertmanager as the
 * sandbox ships it (only the receivers' base URLs rewritten, as the sandbox does): routing by
 * severity, the Slack and PagerDuty bodies Alertmanager really sends parsed back through the
 * shared template, inhibition, and the sink's own rejections.
 */
const root = join(import.meta.dirname, '../../..');
// The session's token: the sink takes it on every route but health and metrics, and Alertmanager
// sends it (http_config rendered into alertmanager.yml, as the sandbox renders it).
const TOKEN = 'sink-integration-token';
const auth = { authorization: `Bearer ${TOKEN}` };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before it was ready:\n${output()}`);
    if (await fetch(url).then((r) => r.ok).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready at ${url} within 20s:\n${output()}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.pid === undefined) return Promise.resolve(null); // never started
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

describe('notification sink behind a real Alertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sink-am-'));
  let sink: ChildProcess | undefined;
  let am: ChildProcess | undefined;
  let sinkUrl = '';
  let amUrl = '';
  let sinkOut = '';
  let amOut = '';

  beforeAll(async () => {
    const sinkPort = await freePort();
    sinkUrl = `http://127.0.0.1:${sinkPort}`;
    sink = spawn(process.execPath, ['--import', 'tsx', 'scripts/alerting/notification-sink/main.ts'], {
      cwd: root,
      env: { ...process.env, SERVICE_NAME: 'notification-sink', HOST: '127.0.0.1', PORT: String(sinkPort), SANDBOX_STATE_DIR: join(dir, 'state'), CHAOS_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    sink.stdout!.on('data', (b: Buffer) => (sinkOut += b.toString()));
    sink.stderr!.on('data', (b: Buffer) => (sinkOut += b.toString()));

    // The shipped config, with the sandbox's rewrite: the sink moves to its test port, and the
    // remediation controller's webhook lands in the sink too, so its deliveries are visible.
    const configDir = join(dir, 'alertmanager');
    cpSync(join(root, 'compose/alertmanager'), configDir, { recursive: true });
    const configFile = join(configDir, 'alertmanager.yml');
    const text = readFileSync(configFile, 'utf8').split('http://127.0.0.1:9402/alerts').join(`${sinkUrl}/webhook/remediation`).split('http://127.0.0.1:9401').join(sinkUrl);
    expect(text.replace(/#.*$/gm, '')).not.toMatch(/127\.0\.0\.1:940[12]\b/);
    writeFileSync(configFile, addReceiverAuthorization(text, [sinkUrl], TOKEN));

    const amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    try {
      am = spawn(
        'prometheus-alertmanager',
        [`--config.file=${configFile}`, `--storage.path=${join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=debug'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      am.on('error', (err) => (amOut += `spawn failed: ${err.message} (install prometheus-alertmanager)\n`));
      am.stdout!.on('data', (b: Buffer) => (amOut += b.toString()));
      am.stderr!.on('data', (b: Buffer) => (amOut += b.toString()));
    } catch (err) {
      throw new Error(`could not start prometheus-alertmanager: ${(err as Error).message}`);
    }
    await Promise.all([
      waitUntilUp(`${sinkUrl}/health`, sink, () => sinkOut, 'notification sink'),
      waitUntilUp(`${amUrl}/-/ready`, am, () => amOut, 'Alertmanager'),
    ]);
  });

  afterAll(async () => {
    am?.kill('SIGKILL');
    sink?.kill('SIGKILL');
    await Promise.all([am && exited(am), sink && exited(sink)]);
    rmSync(dir, { recursive: true, force: true });
  });

  const deliveries = async (receiver?: string) =>
    (await (await fetch(`${sinkUrl}/deliveries${receiver ? `?receiver=${receiver}` : ''}`, { headers: auth })).json()) as Delivery[];

  /** `receiver kind status alertname service`, one per alert per delivery. */
  const seen = async () =>
    new Set((await deliveries()).flatMap((d) => d.alerts.map((a) => `${d.receiver} ${d.kind} ${a.status} ${a.alertname} ${a.labels.service ?? '-'}`)));

  const postAlerts = async (alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[]) => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    expect(res.status, await res.text()).toBe(200);
  };

  const quoted = 'say "hi" to a b=c';

  it('routes by severity and the Slack/PagerDuty bodies parse back into the alerts', async () => {
    await postAlerts([
      { labels: { alertname: 'ServiceDown', service: 'svc-a', severity: 'critical', note: quoted }, annotations: { summary: 'svc-a is down\nsince a while' } },
      { labels: { alertname: 'MemoryLeakSuspected', service: 'svc-b', severity: 'warning' }, annotations: { summary: 'leaking' } },
      { labels: { alertname: 'ModelVersionChanged', service: 'svc-c', severity: 'info' } },
      { labels: { alertname: 'TrafficAnomaly', service: 'svc-d' } },
      { labels: { alertname: 'Odd Name', service: 'svc-e', severity: 'warning' } },
    ]);
    const expected = [
      'remediation webhook firing ServiceDown svc-a',
      'pagerduty pagerduty firing ServiceDown svc-a',
      'slack slack firing ServiceDown svc-a',
      'remediation webhook firing MemoryLeakSuspected svc-b',
      'slack slack firing MemoryLeakSuspected svc-b',
      'log webhook firing ModelVersionChanged svc-c',
      'log webhook firing TrafficAnomaly svc-d',
      'remediation webhook firing Odd Name svc-e',
      'slack slack firing Odd Name svc-e',
    ];
    await expect.poll(async () => [...(await seen())].sort(), { timeout: 15_000, interval: 250 }).toEqual([...expected].sort());

    // Labels survive the round trip through the template, quotes and spaces included.
    const want = { alertname: 'ServiceDown', service: 'svc-a', severity: 'critical', note: quoted };
    for (const receiver of ['pagerduty', 'slack', 'remediation']) {
      const d = (await deliveries(receiver)).find((x) => x.alerts.some((a) => a.alertname === 'ServiceDown'));
      expect(d, receiver).toMatchObject({ receiver, status: 'firing' });
      const alert = d!.alerts.find((a) => a.alertname === 'ServiceDown');
      expect(alert?.labels, receiver).toMatchObject(want);
      expect(alert?.labels.sandbox_run, receiver).toBeUndefined();
    }
    // What Alertmanager really sent was the shape the sink claims to accept.
    const pd = (await deliveries('pagerduty'))[0]!.raw as { routing_key: string; event_action: string; payload: { severity: string; summary: string } };
    expect(pd).toMatchObject({ event_action: 'trigger', routing_key: expect.stringMatching(/^[0-9a-f]{32}$/), payload: { severity: 'critical' } });
    expect(pd.payload.summary).toContain('ServiceDown');
    const sl = (await deliveries('slack')).find((d) => d.alerts[0]?.alertname === 'ServiceDown')!.raw as { channel: string; attachments: { text: string }[] };
    expect(sl.channel).toBe('#sandbox-alerts');
    expect(sl.attachments[0]!.text).toContain('  svc-a is down\n  since a while');
  });

  it('resolution reaches PagerDuty (resolve event) and Slack (send_resolved)', async () => {
    await postAlerts([{ labels: { alertname: 'ServiceDown', service: 'svc-a', severity: 'critical', note: quoted }, endsAt: new Date(Date.now() - 1000).toISOString() }]);
    await expect
      .poll(async () => [...(await seen())].filter((s) => s.includes('resolved')).sort(), { timeout: 15_000, interval: 250 })
      .toEqual(['pagerduty pagerduty resolved ServiceDown svc-a', 'remediation webhook resolved ServiceDown svc-a', 'slack slack resolved ServiceDown svc-a']);
    const resolvedPd = (await deliveries('pagerduty')).at(-1)!;
    expect(resolvedPd.status).toBe('resolved');
    expect((resolvedPd.raw as { event_action: string }).event_action).toBe('resolve');
  });

  it('a down service inhibits its symptoms; a critical alert inhibits its own warning', async () => {
    expect((await fetch(`${sinkUrl}/deliveries`, { method: 'DELETE', headers: auth })).status).toBe(204);
    // The causes first, so they are known to the inhibitor when the symptoms arrive.
    await postAlerts([
      { labels: { alertname: 'ServiceDown', service: 'svc-x', severity: 'critical' } },
      { labels: { alertname: 'ServiceCrashLooping', service: 'svc-w', severity: 'critical' } },
      { labels: { alertname: 'HighLatencyP99', service: 'svc-z', severity: 'critical' } },
    ]);
    await expect.poll(async () => (await seen()).has('slack slack firing HighLatencyP99 svc-z'), { timeout: 15_000 }).toBe(true);
    await postAlerts([
      { labels: { alertname: 'HighErrorRate', service: 'svc-x', severity: 'critical' } }, // inhibited by ServiceDown
      { labels: { alertname: 'ServiceNotReady', service: 'svc-x', severity: 'warning' } }, // inhibited by ServiceDown
      { labels: { alertname: 'TrafficDrop', service: 'svc-w', severity: 'warning' } }, // inhibited by ServiceCrashLooping
      { labels: { alertname: 'HighLatencyP99', service: 'svc-z', severity: 'warning' } }, // inhibited by its critical twin
      { labels: { alertname: 'HighErrorRate', service: 'svc-y', severity: 'critical' } }, // control: another service
      { labels: { alertname: 'EventLoopLagHigh', service: 'svc-x', severity: 'warning' } }, // control: not a symptom listed
    ]);
    await expect
      .poll(async () => {
        const s = await seen();
        return ['pagerduty pagerduty firing HighErrorRate svc-y', 'slack slack firing EventLoopLagHigh svc-x'].every((k) => s.has(k));
      }, { timeout: 15_000 })
      .toBe(true);

    const state = async () =>
      Object.fromEntries(
        ((await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { state: string } }[]).map((a) => [
          `${a.labels.alertname}/${a.labels.service}/${a.labels.severity}`,
          a.status.state,
        ]),
      );
    expect(await state()).toMatchObject({
      'HighErrorRate/svc-x/critical': 'suppressed',
      'ServiceNotReady/svc-x/warning': 'suppressed',
      'TrafficDrop/svc-w/warning': 'suppressed',
      'HighLatencyP99/svc-z/warning': 'suppressed',
      'HighErrorRate/svc-y/critical': 'active',
      'EventLoopLagHigh/svc-x/warning': 'active',
    });
    // Past another group_interval (2s): still nothing about the inhibited alerts anywhere.
    await new Promise((r) => setTimeout(r, 3000));
    const all = await deliveries();
    const leaked = all.flatMap((d) =>
      d.alerts
        .filter(
          (a) =>
            (a.labels.service === 'svc-x' && ['HighErrorRate', 'ServiceNotReady'].includes(a.alertname)) ||
            (a.labels.service === 'svc-w' && a.alertname === 'TrafficDrop') ||
            (a.labels.service === 'svc-z' && a.labels.severity === 'warning'),
        )
        .map((a) => `${d.receiver}: ${a.alertname}{service=${a.labels.service},severity=${a.labels.severity}}`),
    );
    expect(leaked).toEqual([]);
  });

  it('a malformed POST gets 400 naming the field and is not recorded', async () => {
    const before = (await deliveries()).length;
    const res = await fetch(`${sinkUrl}/webhook/log`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'log', alerts: [{ status: 'firing', labels: 'nope', startsAt: 'x' }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('alerts.0.labels: expected object');
    const pd = await fetch(`${sinkUrl}/pagerduty/pagerduty/v2/enqueue`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ event_action: 'trigger', routing_key: '0123456789abcdef0123456789abcdef', payload: { summary: 's', source: 'x', severity: 'fatal' } }),
    });
    expect(pd.status).toBe(400);
    expect(await pd.json()).toMatchObject({ status: 'invalid event', errors: [expect.stringMatching(/^payload\.severity: /)] });
    expect((await deliveries()).length).toBe(before);
    const metrics = await (await fetch(`${sinkUrl}/metrics`)).text();
    expect(metrics).toMatch(/notifications_rejected_total\{kind="webhook",reason="invalid"\} 1/);
    expect(metrics).toMatch(/notifications_received_total\{receiver="pagerduty",kind="pagerduty",status="firing"\} [1-9]/);
  });

  it('stops gracefully on SIGTERM, with every delivery in the journal', async () => {
    const count = (await (await fetch(`${sinkUrl}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('notifications_received_total{'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    sink!.kill('SIGTERM');
    expect(await exited(sink!)).toBe(0);
    const journal = readFileSync(join(dir, 'state/logs/notification-sink.deliveries.jsonl'), 'utf8').trim().split('\n');
    expect(journal.length).toBe(count);
    expect(JSON.parse(journal[0]!)).toMatchObject({ id: expect.any(String), receiver: expect.any(String), raw: expect.anything() });
  });
});
