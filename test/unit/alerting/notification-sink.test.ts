import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../scripts/alerting/notification-sink/config.ts';
import { createSinkMetrics } from '../../../scripts/alerting/notification-sink/metrics.ts';
import { fromPagerDuty, fromSlack } from '../../../scripts/alerting/notification-sink/normalize.ts';
import { pagerDutyEventSchema, slackBodySchema, validate, webhookBodySchema } from '../../../scripts/alerting/notification-sink/schemas.ts';
import { buildSinkApp } from '../../../scripts/alerting/notification-sink/server.ts';
import { DeliveryStore } from '../../../scripts/alerting/notification-sink/store.ts';
import type { Delivery } from '../../../scripts/alerting/notification-sink/types.ts';

const webhook = (over: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="ServiceDown"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'log',
  groupLabels: { alertname: 'ServiceDown' },
  commonLabels: { alertname: 'ServiceDown', severity: 'critical' },
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9093',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'ServiceDown', service: 'ml-service', severity: 'critical' },
      annotations: { summary: 'down' },
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: 'abc',
    },
  ],
  ...over,
});

const LINES = '[firing] ServiceDown service="ml-service" severity="critical"\n  ml-service is down\n[resolved] HighErrorRate service="ml-service" severity="critical"\n';

const slack = (over: Record<string, unknown> = {}) => ({
  channel: '#sandbox-alerts',
  username: 'alertmanager',
  attachments: [{ title: '[FIRING:1] ServiceDown on ml-service', text: LINES, fallback: '[FIRING:1] ServiceDown', color: 'danger', mrkdwn_in: ['fallback', 'pretext', 'text'] }],
  ...over,
});

const pagerduty = (over: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => ({
  routing_key: '0123456789abcdef0123456789abcdef',
  event_action: 'trigger',
  dedup_key: 'f00d',
  payload: { summary: '[FIRING:1] ServiceDown', source: 'observability-sandbox', severity: 'critical', custom_details: { alerts: LINES, num_firing: '1' }, ...payload },
  client: 'observability-sandbox',
  client_url: 'http://127.0.0.1:9093',
  links: [],
  images: [],
  ...over,
});

function issues(r: { ok: boolean; issues?: string[] }): string[] {
  return r.ok ? [] : (r.issues ?? []);
}

describe('body validation', () => {
  it('accepts an Alertmanager webhook body, extra fields included', () => {
    expect(validate(webhookBodySchema, { ...webhook(), somethingNew: 1 }).ok).toBe(true);
  });

  it('names the bad field path of a webhook body', () => {
    const bad = webhook();
    (bad.alerts[0] as Record<string, unknown>).labels = 'nope';
    expect(issues(validate(webhookBodySchema, bad))).toEqual(['alerts.0.labels: expected object, received string']);
    expect(issues(validate(webhookBodySchema, webhook({ version: '3' })))[0]).toMatch(/^version: /);
    expect(issues(validate(webhookBodySchema, webhook({ status: 'pending' })))[0]).toMatch(/^status: /);
    expect(issues(validate(webhookBodySchema, webhook({ alerts: [] })))[0]).toMatch(/^alerts: /);
    const { groupKey: _g, ...noKey } = webhook();
    expect(issues(validate(webhookBodySchema, noKey))).toEqual(['groupKey: required (expected string)']);
    expect(issues(validate(webhookBodySchema, [webhook()]))[0]).toMatch(/^\(body\): expected object/);
  });

  it('checks the Slack shape', () => {
    expect(validate(slackBodySchema, slack()).ok).toBe(true);
    expect(validate(slackBodySchema, { channel: '#x', text: LINES }).ok).toBe(true);
    expect(issues(validate(slackBodySchema, { channel: '#x' }))[0]).toMatch(/^attachments: .*text/);
    expect(issues(validate(slackBodySchema, slack({ attachments: [{ text: 5 }] })))[0]).toMatch(/^attachments\.0\.text: expected string/);
    expect(issues(validate(slackBodySchema, slack({ channel: ['#x'] })))[0]).toMatch(/^channel: /);
  });

  it('checks PagerDuty Events API v2 rules', () => {
    expect(validate(pagerDutyEventSchema, pagerduty()).ok).toBe(true);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({ routing_key: undefined })))[0]).toMatch(/^routing_key: required/);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({ routing_key: 'short' })))[0]).toMatch(/^routing_key: must be a 32-character/);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({}, { severity: 'fatal' })))[0]).toMatch(/^payload\.severity: /);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({}, { summary: 'x'.repeat(1025) })))[0]).toMatch(/^payload\.summary: /);
    expect(validate(pagerDutyEventSchema, pagerduty({}, { summary: 'x'.repeat(1024) })).ok).toBe(true);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({}, { source: '' })))[0]).toMatch(/^payload\.source: /);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({ event_action: 'explode' })))[0]).toMatch(/^event_action: /);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({ payload: undefined })))).toEqual(['payload: required for a trigger event']);
    expect(issues(validate(pagerDutyEventSchema, pagerduty({ event_action: 'resolve', dedup_key: undefined })))).toEqual(['dedup_key: required for a resolve event']);
  });
});

describe('alerts recovered from Slack and PagerDuty bodies', () => {
  it('Slack: from attachment text; group firing while any alert fires', () => {
    const v = validate(slackBodySchema, slack());
    if (!v.ok) throw new Error(v.issues.join());
    const c = fromSlack(v.value);
    expect(c.status).toBe('firing');
    expect(c.alerts).toEqual([
      { alertname: 'ServiceDown', status: 'firing', labels: { alertname: 'ServiceDown', service: 'ml-service', severity: 'critical' } },
      { alertname: 'HighErrorRate', status: 'resolved', labels: { alertname: 'HighErrorRate', service: 'ml-service', severity: 'critical' } },
    ]);
  });

  it('PagerDuty: from custom_details strings (flat or nested); resolve means resolved', () => {
    const v = validate(pagerDutyEventSchema, pagerduty({ event_action: 'resolve' }, { custom_details: { nested: { alerts: [LINES] } } }));
    if (!v.ok) throw new Error(v.issues.join());
    const c = fromPagerDuty(v.value);
    expect(c.status).toBe('resolved');
    expect(c.alerts.map((a) => a.alertname)).toEqual(['ServiceDown', 'HighErrorRate']);
  });
});

describe('DeliveryStore', () => {
  it('keeps the newest `capacity` deliveries, oldest first, with unique ids', () => {
    const store = new DeliveryStore(3);
    for (let i = 0; i < 5; i++) store.add(`r${i}`, 'webhook', { status: 'firing', alerts: [] }, {});
    const list = store.list();
    expect(list.map((d) => d.receiver)).toEqual(['r2', 'r3', 'r4']);
    expect(new Set(list.map((d) => d.id)).size).toBe(3);
    expect(store.list({ receiver: 'r3' })).toHaveLength(1);
    store.clear();
    expect(store.list()).toEqual([]);
  });

  it('appends every delivery to the journal, which survives clear()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sink-journal-'));
    const file = join(dir, 'logs', 'notification-sink.deliveries.jsonl');
    const store = new DeliveryStore(10, file);
    store.add('a', 'slack', { status: 'firing', alerts: [] }, { x: 1 });
    store.clear();
    store.add('b', 'pagerduty', { status: 'resolved', alerts: [] }, { y: 2 });
    await store.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Delivery);
    expect(lines.map((d) => [d.receiver, d.kind, d.status, d.raw])).toEqual([
      ['a', 'slack', 'firing', { x: 1 }],
      ['b', 'pagerduty', 'resolved', { y: 2 }],
    ]);
  });
});

describe('configFromEnv', () => {
  it('defaults to 127.0.0.1:9401 without a journal; SANDBOX_STATE_DIR turns it on', () => {
    expect(configFromEnv({})).toMatchObject({ host: '127.0.0.1', port: 9401, journalPath: undefined, capacity: 10_000 });
    expect(configFromEnv({ SANDBOX_STATE_DIR: '/s', PORT: '1234', HOST: '::1' })).toMatchObject({
      host: '::1',
      port: 1234,
      journalPath: '/s/logs/notification-sink.deliveries.jsonl',
    });
    expect(() => configFromEnv({ PORT: 'x' })).toThrow(/PORT/);
  });
});

describe('HTTP API (in-process)', () => {
  let app: ReturnType<typeof buildSinkApp>;
  let metrics: ReturnType<typeof createSinkMetrics>;
  beforeEach(async () => {
    metrics = createSinkMetrics();
    app = buildSinkApp({ logger: pino({ level: 'silent' }), store: new DeliveryStore(100), metrics, guard: { token: TOKEN } });
    await app.ready();
  });
  afterEach(() => app.close());

  // As Alertmanager sends them: the session's token in Authorization (http_config in alertmanager.yml).
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: auth, payload: payload as object });
  const deliveries = async (q = '') => (await app.inject({ method: 'GET', url: `/deliveries${q}`, headers: auth })).json<Delivery[]>();

  it('records each kind under the path receiver, and answers like the real services', async () => {
    expect((await post('/webhook/log', webhook())).statusCode).toBe(200);
    const s = await post('/slack/slack', slack());
    expect([s.statusCode, s.body]).toEqual([200, 'ok']);
    const p = await post('/pagerduty/pagerduty/v2/enqueue', pagerduty());
    expect(p.statusCode).toBe(202);
    expect(p.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'f00d' });

    const all = await deliveries();
    expect(all.map((d) => [d.receiver, d.kind, d.status, d.alerts.map((a) => a.alertname)])).toEqual([
      ['log', 'webhook', 'firing', ['ServiceDown']],
      ['slack', 'slack', 'firing', ['ServiceDown', 'HighErrorRate']],
      ['pagerduty', 'pagerduty', 'firing', ['ServiceDown', 'HighErrorRate']],
    ]);
    expect(all[0]).toMatchObject({ raw: webhook(), alerts: [{ labels: { service: 'ml-service', severity: 'critical' } }] });
    expect(Number.isNaN(Date.parse(all[0]!.receivedAt))).toBe(false);
    expect((await deliveries('?receiver=slack')).map((d) => d.kind)).toEqual(['slack']);
    expect((await deliveries('?raw=false'))[0]).not.toHaveProperty('raw');

    expect((await app.inject({ method: 'DELETE', url: '/deliveries', headers: auth })).statusCode).toBe(204);
    expect(await deliveries()).toEqual([]);
  });

  it('rejects malformed bodies with 400 naming the field, records nothing, counts them', async () => {
    const bad = webhook();
    (bad.alerts[0] as Record<string, unknown>).labels = 'nope';
    const r = await post('/webhook/log', bad);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toContain('alerts.0.labels: expected object');

    const s = await post('/slack/slack', { channel: '#x' });
    expect([s.statusCode, s.json().error]).toEqual([400, expect.stringMatching(/^attachments: /)]);

    const p = await post('/pagerduty/pagerduty/v2/enqueue', pagerduty({}, { severity: 'fatal' }));
    expect(p.statusCode).toBe(400);
    expect(p.json()).toMatchObject({ status: 'invalid event', errors: [expect.stringMatching(/^payload\.severity: /)] });

    const j = await app.inject({ method: 'POST', url: '/webhook/log', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"version":' });
    expect(j.statusCode).toBe(400);

    expect(await deliveries()).toEqual([]);
    const text = await (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('notifications_rejected_total{kind="webhook",reason="invalid"} 1');
    expect(text).toContain('notifications_rejected_total{kind="webhook",reason="malformed_body"} 1');
    expect(text).toContain('notifications_rejected_total{kind="slack",reason="invalid"} 1');
    expect(text).toContain('notifications_rejected_total{kind="pagerduty",reason="invalid"} 1');
    expect(text).not.toMatch(/^notifications_received_total\{/m);
  });

  it('counts received notifications and exposes process metrics and health', async () => {
    await post('/webhook/log', webhook());
    await post('/webhook/log', webhook({ status: 'resolved' }));
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('notifications_received_total{receiver="log",kind="webhook",status="firing"} 1');
    expect(text).toContain('notifications_received_total{receiver="log",kind="webhook",status="resolved"} 1');
    expect(text).toContain('process_cpu_seconds_total');
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  });

  it('refuses a delivery without the session token, from a web page or of another type, records nothing and counts it', async () => {
    const forged = await app.inject({ method: 'POST', url: '/webhook/remediation', payload: webhook() });
    expect([forged.statusCode, forged.json().error]).toEqual([401, expect.stringMatching(/session token/)]);
    const wrong = await app.inject({ method: 'POST', url: '/webhook/log', headers: { authorization: 'Bearer nope' }, payload: webhook() });
    expect(wrong.statusCode).toBe(401);
    const page = await app.inject({ method: 'POST', url: '/webhook/log', headers: { ...auth, origin: 'http://evil.example', 'content-type': 'text/plain' }, payload: JSON.stringify(webhook()) });
    expect([page.statusCode, page.json().error]).toEqual([403, expect.stringContaining('"http://evil.example"')]);
    const text = await app.inject({ method: 'POST', url: '/webhook/log', headers: { ...auth, 'content-type': 'text/plain' }, payload: JSON.stringify(webhook()) });
    expect([text.statusCode, text.json().error]).toEqual([415, expect.stringContaining('"text/plain"')]);
    const rebound = await app.inject({ method: 'GET', url: '/deliveries', headers: { ...auth, host: 'attacker.example:9401' } });
    expect(rebound.statusCode).toBe(403);
    const pd = await app.inject({ method: 'POST', url: '/pagerduty/pagerduty/v2/enqueue', payload: pagerduty() });
    expect([pd.statusCode, pd.json().status]).toEqual([401, 'invalid event']);
    expect((await app.inject({ method: 'DELETE', url: '/deliveries' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/deliveries' })).statusCode).toBe(401);

    expect(await deliveries()).toEqual([]);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('notifications_rejected_total{kind="webhook",reason="unauthorized"} 2');
    expect(metrics).toContain('notifications_rejected_total{kind="webhook",reason="forbidden"} 1');
    expect(metrics).toContain('notifications_rejected_total{kind="webhook",reason="unsupported_media_type"} 1');
  });
});

const TOKEN = 'sink-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
