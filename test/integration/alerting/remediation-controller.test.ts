/**
 * The remediation controller as a real process, against a small real HTTP server that stands in
 * for the sandbox control API and ml-service's operator endpoints (same paths and answers). The
 * real sandbox with real services is exercised end to end by the project's e2e suite
 * (test/e2e/, scenarios with `remediation:` expectations).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { presentedToken } from '../../../scripts/core/control-guard.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRY = join(ROOT, 'scripts/alerting/remediation/main.ts');
const TOKEN = 'remediation-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Call {
  method: string;
  path: string;
  token: string | undefined;
  body: string;
}

/** The fake: records every call; restart answers as `restartStatus` says. */
class FakeSandbox {
  calls: Call[] = [];
  restartStatus = 200;
  model = 'v2';
  url = '';
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const token = presentedToken(req.headers);
        // Like the real control API and services: nothing without the session's token.
        if (token !== TOKEN) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"missing or wrong session token"}');
        if (path !== '/status' && !(req.method === 'GET' && path === '/admin/model')) this.calls.push({ method: req.method ?? '', path, token, body });
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        if (req.method === 'GET' && path === '/status') {
          return json(200, {
            runtime: 'native',
            components: [
              { name: 'ml-service', state: 'ready', url: this.url },
              { name: 'api-gateway', state: 'ready', url: this.url },
            ],
          });
        }
        if (req.method === 'POST' && path === '/services/ml-service/restart') {
          if (this.restartStatus !== 200) return json(this.restartStatus, { error: 'supervisor: ml-service did not become ready' });
          return json(200, { name: 'ml-service', pid: 1234, restarts: 1, state: 'ready' });
        }
        if (path.startsWith('/admin/') && token !== TOKEN) return json(401, { error: 'missing or wrong x-chaos-token header' });
        if (req.method === 'POST' && path === '/admin/model/rollback') {
          const from = this.model;
          this.model = 'v1';
          return json(200, { current: this.model, from });
        }
        if (req.method === 'GET' && path === '/admin/model') return json(200, { model: { version: this.model } });
        return json(404, { error: `no route ${req.method} ${path}` });
      });
    });
    const port = await listen(this.server);
    this.url = `http://127.0.0.1:${port}`;
  }

  callsTo(method: string, path: string): Call[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }
}

interface Controller {
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function startController(env: Record<string, string>, port: number): Controller {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, SERVICE_NAME: 'remediation-controller', HOST: '127.0.0.1', PORT: String(port), ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { url: `http://127.0.0.1:${port}`, child, stdout: () => out, stderr: () => err, exited };
}

function kill(c: Controller | undefined): void {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
  try {
    process.kill(-c.child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

const fake = new FakeSandbox();
let controller: Controller;
let stateDir: string;

interface ActionRecord {
  id: string;
  playbook: string;
  alertname: string;
  service: string;
  action: string;
  result: string;
  reason?: string;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
  fingerprint: string;
  repeats?: number;
}

const alert = (alertname: string, labels: Record<string, string> = {}, fingerprint = 'f1', startsAt = '2026-01-01T00:00:00Z') => ({
  version: '4',
  status: 'firing',
  receiver: 'remediation',
  groupKey: '{}:{alertname="x"}',
  alerts: [
    { status: 'firing', labels: { alertname, severity: 'critical', ...labels }, annotations: { summary: 's' }, startsAt, endsAt: '0001-01-01T00:00:00Z', fingerprint },
  ],
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${controller.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function actions(): Promise<ActionRecord[]> {
  return (await (await fetch(`${controller.url}/actions`, { headers: auth })).json()) as ActionRecord[];
}

/** Polls /actions until every record has an outcome and there are `n` of them. */
async function settled(n: number, timeoutMs = 10_000): Promise<ActionRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await actions();
    if (list.length >= n && list.every((r) => r.result !== 'started')) return list;
    if (Date.now() > deadline) throw new Error(`actions did not settle: ${JSON.stringify(list)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

beforeAll(async () => {
  await fake.start();
  stateDir = mkdtempSync(join(tmpdir(), 'remediation-test-'));
  controller = startController({ SANDBOX_CONTROL_URL: fake.url, CHAOS_TOKEN: TOKEN, SANDBOX_STATE_DIR: stateDir }, await freePort());
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${controller.url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (controller.child.exitCode !== null || Date.now() > deadline) throw new Error(`controller did not start:\n${controller.stderr()}\n${controller.stdout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  kill(controller);
  await fake.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

beforeEach(async () => {
  expect((await fetch(`${controller.url}/actions`, { method: 'DELETE', headers: auth })).status).toBe(204);
  fake.calls = [];
  fake.restartStatus = 200;
});

describe('remediation controller process', () => {
  it('refuses a forged Alertmanager webhook (no token, a wrong one, a web page, text/plain): nothing restarts', async () => {
    const body = JSON.stringify(alert('ServiceDown', { service: 'ml-service' }, 'f-forged'));
    const tries: { headers: Record<string, string>; status: number }[] = [
      { headers: { 'content-type': 'application/json' }, status: 401 },
      { headers: { authorization: 'Bearer guess', 'content-type': 'application/json' }, status: 401 },
      { headers: { authorization: `Bearer ${'\u00e9'.repeat(32)}`, 'content-type': 'application/json' }, status: 401 },
      { headers: { ...auth, origin: 'http://evil.example', 'content-type': 'text/plain' }, status: 403 },
      { headers: { ...auth, 'content-type': 'text/plain' }, status: 415 },
    ];
    for (const t of tries) expect((await fetch(`${controller.url}/alerts`, { method: 'POST', headers: t.headers, body })).status, JSON.stringify(t.headers)).toBe(t.status);
    const mode = await fetch(`${controller.url}/mode`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"dryRun":true}' });
    expect(mode.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls).toEqual([]);
    expect(await actions()).toEqual([]);
  });

  it('restarts a down service exactly once, records it succeeded, and skips a resend within the cooldown', async () => {
    const t0 = Date.now();
    const res = await post('/alerts', alert('ServiceDown', { service: 'ml-service' }));
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    const [record] = await settled(1);
    expect(record).toMatchObject({ playbook: 'restart-down-service', alertname: 'ServiceDown', service: 'ml-service', action: 'restart', result: 'succeeded', fingerprint: 'f1' });
    expect(Date.parse(record!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(record!.startedAt!));
    expect(fake.callsTo('POST', '/services/ml-service/restart')).toHaveLength(1);

    // Alertmanager resends the same alert (same fingerprint and startsAt).
    expect((await post('/alerts', alert('ServiceDown', { service: 'ml-service' }))).status).toBe(200);
    const list = await settled(2);
    expect(list[1]).toMatchObject({ action: 'restart', service: 'ml-service', result: 'skipped', reason: 'duplicate' });
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.callsTo('POST', '/services/ml-service/restart')).toHaveLength(1);

    // Every state change went to the audit log.
    const audit = readFileSync(join(stateDir, 'logs', 'remediation-audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; id?: string; result?: string });
    expect(audit.filter((e) => e.id === record!.id).map((e) => e.result)).toEqual(['started', 'succeeded']);

    const metrics = await (await fetch(`${controller.url}/metrics`)).text();
    expect(metrics).toMatch(/remediation_actions_total\{action="restart",result="succeeded"\} 1/);
    expect(metrics).toMatch(/remediation_action_duration_seconds_count\{action="restart"\} 1/);
    expect(metrics).toMatch(/remediation_webhooks_total\{status="firing"\} \d+/);
  });

  it('records a failing restart as failed with the reason from the answer', async () => {
    fake.restartStatus = 500;
    await post('/alerts', alert('ServiceDown', { service: 'ml-service' }, 'f-fail'));
    const [record] = await settled(1);
    expect(record).toMatchObject({ action: 'restart', result: 'failed' });
    expect(record!.reason).toContain('HTTP 500');
    expect(record!.reason).toContain('did not become ready');
  });

  it('in dry-run mode records dry-run and calls nothing', async () => {
    expect(await (await fetch(`${controller.url}/mode`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"dryRun":true}' })).json()).toEqual({ dryRun: true });
    try {
      await post('/alerts', alert('ServiceDown', { service: 'ml-service' }, 'f-dry'));
      const [record] = await settled(1);
      expect(record).toMatchObject({ action: 'restart', service: 'ml-service', result: 'dry-run' });
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.calls).toEqual([]);
    } finally {
      await fetch(`${controller.url}/mode`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"dryRun":false}' });
    }
    expect(await (await fetch(`${controller.url}/mode`, { headers: auth })).json()).toEqual({ dryRun: false });
  });

  it('acts only on alerts of the scenario run it was told (a late notification of the run before changes nothing)', async () => {
    const mode = (body: unknown) => fetch(`${controller.url}/mode`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(await (await mode({ dryRun: false, run: 'error-burst-2' })).json()).toEqual({ dryRun: false, run: 'error-burst-2' });
    try {
      await post('/alerts', alert('ServiceDown', { service: 'ml-service', sandbox_run: 'error-burst-1' }, 'f-old-run'));
      await new Promise((r) => setTimeout(r, 300));
      expect(await actions()).toEqual([]);
      expect(fake.calls).toEqual([]);
      // Its own run's alert, and one without a run label (an attached stack's), both act.
      await post('/alerts', alert('ServiceDown', { service: 'ml-service', sandbox_run: 'error-burst-2' }, 'f-this-run'));
      await post('/alerts', alert('ServiceDown', { service: 'api-gateway' }, 'f-unlabelled'));
      // (The fake control API knows ml-service only: the gateway's restart is tried, and fails.)
      const records = await settled(2);
      expect(records.map((r) => [r.service, r.result]).sort()).toEqual([
        ['api-gateway', 'failed'],
        ['ml-service', 'succeeded'],
      ]);
      // A mode change without `run` keeps the run; `run: null` accepts every alert again.
      expect(await (await mode({ dryRun: false })).json()).toEqual({ dryRun: false, run: 'error-burst-2' });
      expect((await mode({ dryRun: false, run: '' })).status).toBe(400);
    } finally {
      expect(await (await mode({ dryRun: false, run: null })).json()).toEqual({ dryRun: false });
    }
  });

  it('rejects a malformed webhook with 400 naming the field', async () => {
    const body = alert('ServiceDown', { service: 'ml-service' }) as { alerts: Record<string, unknown>[] };
    delete body.alerts[0]!.fingerprint;
    const res = await post('/alerts', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('alerts[0].fingerprint');
    const res2 = await post('/alerts', { version: '4', status: 'burning', alerts: [] });
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as { error: string }).error).toContain('status');
    expect(await actions()).toEqual([]);
  });

  it('rolls the model back through the admin endpoint with the chaos token', async () => {
    fake.model = 'v2';
    await post('/alerts', alert('ModelInvalidPredictions', { service: 'ml-service', version: 'v2' }, 'f-model'));
    const [record] = await settled(1);
    expect(record).toMatchObject({ playbook: 'rollback-bad-model', action: 'rollback-model', service: 'ml-service', result: 'succeeded' });
    const calls = fake.callsTo('POST', '/admin/model/rollback');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.token).toBe(TOKEN);
  });
});

describe('remediation controller start-up', () => {
  let bad: Controller | undefined;
  afterAll(() => kill(bad));

  it('exits 2 naming file, line and key path when a playbook uses an unknown action', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'remediation-bad-'));
    try {
      const file = join(dir, 'playbooks.yml');
      writeFileSync(
        file,
        ['allowedActions: [restart]', 'playbooks:', '  - name: reboot-it', '    match: { alertname: ServiceDown }', '    actions:', '      - action: reboot', ''].join('\n'),
      );
      bad = startController({ SANDBOX_CONTROL_URL: 'http://127.0.0.1:1', REMEDIATION_PLAYBOOKS: file }, await freePort());
      expect(await bad.exited).toBe(2);
      expect(bad.stderr()).toContain(`${file}:6:9: unknown action 'reboot' at playbooks[0].actions[0].action; allowed: restart`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function listen(server: Server): Promise<number> {
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as { port: number }).port)));
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}
