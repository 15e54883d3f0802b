import { request } from 'node:http';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';
import { runCli } from '../../helpers/cli.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';
import { isLoopback, listeningSockets } from '../../helpers/listeners.ts';
import { NOTHING_LEFT, reaperPid, settleLeftovers } from '../../helpers/leftovers.ts';

/**
 * Issue 14's attacks, against a real native sandbox started by the CLI as a user would: every
 * control surface refuses what a web page, a local process without the session's token, or a
 * forged Alertmanager sends; Prometheus has no admin or lifecycle API and no open CORS; every
 * listening socket of every process the sandbox started is on loopback.
 */
interface Session {
  session: string;
  hostPid: number;
  controlUrl: string;
  chaosToken: string;
}

let sb: Awaited<ReturnType<typeof isolatedSandbox>>;
let info: Session;
let auth: Record<string, string>;
let ports: ReturnType<typeof portPlan>;
const url = (name: string) => `http://127.0.0.1:${name === 'control' ? ports.control : ['prometheus', 'alertmanager'].includes(name) ? ports.stack(name) : ports.service(name)}`;

/** A raw HTTP request (headers exactly as given, any bytes), its status and body. */
function raw(target: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function restartsOf(service: string): Promise<number> {
  const text = await (await fetch(`${url('control')}/metrics`)).text();
  return Number(new RegExp(`^process_restarts_total\\{service="${service}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  sb = await isolatedSandbox('security-surfaces-');
  ports = portPlan(sb.portOffset);
  const up = await runCli(['up', '--detach', '--runtime', 'native'], sb.env, 90_000);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
  info = JSON.parse(readFileSync(join(sb.stateDir, 'session.json'), 'utf8')) as Session;
  auth = { authorization: `Bearer ${info.chaosToken}` };
});

afterAll(async () => {
  if (!sb) return;
  const down = await runCli(['down'], sb.env, 60_000);
  expect(down.code, down.stderr).toBe(0);
  expect(await settleLeftovers(sb.stateDir)).toEqual(NOTHING_LEFT);
});

describe('the control API', () => {
  it("refuses the issue's curl (Origin evil, text/plain): no replica starts, whatever the variant", async () => {
    const body = '{"replicas":3}';
    const scale = `${url('control')}/services/ml-service/scale`;
    const attack = await raw(scale, { method: 'POST', headers: { Origin: 'http://evil', 'Content-Type': 'text/plain' }, body });
    expect([attack.status, JSON.parse(attack.body).error]).toEqual([403, 'Origin "http://evil" may not use this API (requests from web pages are refused)']);
    // The same from a local process without the token, and with the token but not JSON.
    expect((await raw(scale, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body })).status).toBe(401);
    expect((await raw(scale, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status).toBe(401);
    expect((await raw(scale, { method: 'POST', headers: { ...auth, 'Content-Type': 'text/plain' }, body })).status).toBe(415);
    expect((await raw(scale, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', Origin: 'http://evil' }, body })).status).toBe(403);
    expect((await raw(`${url('control')}/shutdown`, { method: 'POST', headers: { Origin: 'http://evil' } })).status).toBe(403);
    const state = JSON.parse((await raw(scale, { headers: auth })).body) as { replicas: number };
    expect(state.replicas).toBe(1);
    expect(new PidRegistry(join(sb.stateDir, 'pids')).entries().map((e) => e.name)).not.toContain('ml-service-2');
  });

  it('refuses another Host (DNS rebinding) even on the public runbooks, which stay readable and read-only', async () => {
    expect((await raw(`${url('control')}/status`, { headers: { ...auth, Host: 'rebind.evil.example:9400' } })).status).toBe(403);
    expect((await raw(`${url('control')}/runbooks/ServiceDown`, { headers: { Host: 'rebind.evil.example' } })).status).toBe(403);
    const runbook = await raw(`${url('control')}/runbooks/ServiceDown`, {});
    expect([runbook.status, runbook.headers['content-type']]).toEqual([200, 'text/markdown; charset=utf-8']);
    expect((await raw(`${url('control')}/runbooks/ServiceDown`, { method: 'POST' })).status).toBe(401);
    expect((await raw(`${url('control')}/status`, {})).status).toBe(401);
    expect((await raw(`${url('control')}/events`, {})).status).toBe(401);
    expect((await raw(`${url('control')}/health`, {})).status).toBe(200);
  });

  it('refuses a 300 MB body without buffering it: the host stays within a few MB', async () => {
    const before = rssMiB(info.hostPid);
    // Declared: refused from the headers alone.
    const declared = await raw(`${url('control')}/services/ml-service/scale`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Content-Length': String(300 * 1024 * 1024) } }).catch((e: Error) => ({ status: 0, body: e.message, headers: {} }));
    expect(declared.status).toBe(413);
    // Streamed (chunked, no length): cut off at the limit while it arrives.
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const streamed = await new Promise<{ status: number; sentMiB: number }>((resolve, reject) => {
      let sent = 0;
      let done = false;
      const req = request(`${url('control')}/services/ml-service/scale`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, agent: false }, (res) => {
        done = true;
        res.resume();
        resolve({ status: res.statusCode!, sentMiB: sent });
        req.destroy();
      });
      req.on('error', (e) => (done ? undefined : reject(new Error(`streamed body: ${e.message} after ${sent} MiB, before any answer`))));
      const pump = () => {
        while (!done && sent < 300) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!done) req.end();
      };
      pump();
    });
    expect(streamed.status).toBe(413);
    expect(streamed.sentMiB).toBeLessThan(300);
    expect(rssMiB(info.hostPid) - before).toBeLessThan(40);
  });

  it('answers 32 raw 0xE9 bytes as a token with 401 on every surface, never 500', async () => {
    const bad = '\u00e9'.repeat(32);
    const targets = [
      `${url('control')}/status`,
      `${url('ml-service')}/chaos/faults`,
      `${url('api-gateway')}/admin/circuit-breaker`,
      `${url('ml-service')}/admin/model`,
      `${url('remediation-controller')}/actions`,
      `${url('notification-sink')}/deliveries`,
    ];
    for (const t of targets) {
      for (const headers of [{ authorization: `Bearer ${bad}` }, { 'x-chaos-token': bad }] as Record<string, string>[]) {
        const r = await raw(t, { headers });
        expect(r.status, `${t} ${JSON.stringify(headers)}: ${r.body}`).toBe(401);
      }
    }
  });
});

describe('the remediation controller and the notification sink', () => {
  const forged = JSON.stringify({
    version: '4',
    groupKey: 'forged',
    status: 'firing',
    receiver: 'remediation',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://evil',
    alerts: [{ status: 'firing', labels: { alertname: 'ServiceDown', service: 'api-gateway', severity: 'critical' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'forged1' }],
  });

  it('a forged Alertmanager webhook restarts nothing', async () => {
    const before = await restartsOf('api-gateway');
    expect((await raw(`${url('remediation-controller')}/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: forged })).status).toBe(401);
    expect((await raw(`${url('remediation-controller')}/alerts`, { method: 'POST', headers: { Origin: 'http://evil', 'Content-Type': 'text/plain' }, body: forged })).status).toBe(403);
    expect((await raw(`${url('remediation-controller')}/mode`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"dryRun":false}' })).status).toBe(401);
    expect((await raw(`${url('notification-sink')}/deliveries`, { method: 'DELETE' })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await restartsOf('api-gateway')).toBe(before);
    const actions = JSON.parse((await raw(`${url('remediation-controller')}/actions`, { headers: auth })).body) as unknown[];
    expect(actions).toEqual([]);
  });

  it("Alertmanager's real deliveries still arrive, with the token it was given (alertmanager.yml 0600 in the state dir)", async () => {
    const amFile = join(sb.stateDir, 'stack/alertmanager/config/alertmanager.yml');
    expect(statSync(amFile).mode & 0o777).toBe(0o600);
    // The stack directory holding every rendered config is its owner's alone.
    expect(statSync(join(sb.stateDir, 'stack')).mode & 0o777).toBe(0o700);
    expect(statSync(join(sb.stateDir, 'session.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(amFile, 'utf8')).toContain(`credentials: ${info.chaosToken}`);
    expect(readFileSync(join(PROJECT_ROOT, 'compose/alertmanager/alertmanager.yml'), 'utf8')).not.toContain(info.chaosToken);
    // An info alert routes to the `log` webhook receiver (the sink) only.
    const labels = { alertname: 'SecuritySuiteProbe', severity: 'info', service: 'security-suite' };
    const post = await fetch(`${url('alertmanager')}/api/v2/alerts`, { method: 'POST', headers: { ...amLogin(), 'content-type': 'application/json' }, body: JSON.stringify([{ labels }]) });
    expect(post.status).toBe(200);
    const deadline = Date.now() + 20_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const list = JSON.parse((await raw(`${url('notification-sink')}/deliveries?raw=false`, { headers: auth })).body) as { alerts: { alertname: string }[] }[];
      found = list.some((d) => d.alerts.some((a) => a.alertname === 'SecuritySuiteProbe'));
      if (!found) await new Promise((r) => setTimeout(r, 250));
    }
    expect(found, readFileSync(join(sb.stateDir, 'logs/alertmanager.log'), 'utf8').slice(-2000)).toBe(true);
    const metrics = await (await fetch(`${url('notification-sink')}/metrics`)).text();
    expect(metrics).not.toMatch(/notifications_rejected_total\{kind="webhook",reason="unauthorized"\} [1-9]/);
  });
});

const amLogin = (password = info.chaosToken) => ({ authorization: `Basic ${Buffer.from(`sandbox:${password}`).toString('base64')}` });

describe('Alertmanager', () => {
  it('asks for the login on every route: its API, its lifecycle route, a web page’s preflight', async () => {
    const am = url('alertmanager');
    for (const [method, path] of [['GET', '/api/v2/status'], ['GET', '/api/v2/alerts'], ['POST', '/api/v2/silences'], ['POST', '/-/reload'], ['GET', '/-/ready'], ['GET', '/metrics']] as const) {
      expect((await raw(`${am}${path}`, { method })).status, `${method} ${path} without a login`).toBe(401);
      expect((await raw(`${am}${path}`, { method, headers: amLogin('not-the-token') })).status, `${method} ${path} with a wrong password`).toBe(401);
    }
    const preflight = await raw(`${am}/api/v2/alerts`, { method: 'OPTIONS', headers: { origin: 'http://evil', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(401);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw(`${am}/api/v2/status`, { headers: amLogin() })).status).toBe(200);
  });

  it('keeps the login out of reach: a bcrypt hash in web.yml, the password file 0600, nothing in compose/', () => {
    const web = join(sb.stateDir, 'stack/alertmanager/config/web.yml');
    const password = join(sb.stateDir, 'stack/prometheus/config/secrets/alertmanager-password');
    expect(statSync(web).mode & 0o777).toBe(0o600);
    expect(statSync(password).mode & 0o777).toBe(0o600);
    expect(readFileSync(web, 'utf8')).toMatch(/^basic_auth_users:\n {2}sandbox: "?\$2[aby]\$/);
    expect(readFileSync(web, 'utf8')).not.toContain(info.chaosToken);
    expect(readFileSync(password, 'utf8')).toBe(info.chaosToken);
  });

  it('Prometheus logs in to it: scrapes it, and an alert it fires reaches the sink through it', async () => {
    const query = async (q: string) =>
      ((await (await fetch(`${url('prometheus')}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { value: [number, string] }[] } }).data.result;
    const deadline = Date.now() + 15_000;
    let upValue: string | undefined;
    while (Date.now() < deadline && upValue !== '1') {
      upValue = (await query('up{job="alertmanager"}'))[0]?.value[1];
      if (upValue !== '1') await new Promise((r) => setTimeout(r, 250));
    }
    expect(upValue).toBe('1');
    const active = (await (await fetch(`${url('prometheus')}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: unknown[] } };
    expect(active.data.activeAlertmanagers).toHaveLength(1);
    // An always-firing rule, loaded as a scenario's would be: Prometheus → Alertmanager (login) → sink (token).
    // `for` outlasts the rediscovery of Alertmanager after a reload (discovery updates reach the notifier every 5 s):
    // an alert fired before that is dropped and only resent after the resend delay (1 m).
    const rules = join(sb.stateDir, 'stack/prometheus/config/scenario-rules/security-probe.yml');
    writeFileSync(rules, 'groups:\n  - name: security-probe\n    rules:\n      - alert: SecurityLoginProbe\n        expr: vector(1)\n        for: 8s\n        labels: {severity: info, service: security-suite}\n');
    try {
      expect((await raw(`${url('control')}/stack/prometheus/reload`, { method: 'POST', headers: auth })).status).toBe(200);
      let delivered = false;
      const until = Date.now() + 30_000;
      while (!delivered && Date.now() < until) {
        const list = JSON.parse((await raw(`${url('notification-sink')}/deliveries?raw=false`, { headers: auth })).body) as { alerts: { alertname: string }[] }[];
        delivered = list.some((d) => d.alerts.some((a) => a.alertname === 'SecurityLoginProbe'));
        if (!delivered) await new Promise((r) => setTimeout(r, 250));
      }
      expect(delivered, readFileSync(join(sb.stateDir, 'logs/prometheus.log'), 'utf8').slice(-2000)).toBe(true);
      const errors = await query('sum(prometheus_notifications_errors_total)');
      expect(errors[0]?.value[1] ?? '0').toBe('0');
    } finally {
      rmSync(rules, { force: true });
      await raw(`${url('control')}/stack/prometheus/reload`, { method: 'POST', headers: auth });
    }
  });
});

describe('Prometheus', () => {
  it('has no lifecycle or admin API and answers CORS for Grafana’s origin only', async () => {
    const prom = url('prometheus');
    expect((await fetch(`${prom}/-/reload`, { method: 'POST' })).status).toBe(403);
    const del = await fetch(`${prom}/api/v1/admin/tsdb/delete_series?match[]=up`, { method: 'POST' });
    expect(del.ok).toBe(false);
    expect(await del.text()).toMatch(/admin APIs disabled/);
    const evil = await fetch(`${prom}/api/v1/query?query=up`, { headers: { origin: 'http://evil' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const grafana = `http://127.0.0.1:${ports.stack('grafana')}`;
    const ok = await fetch(`${prom}/api/v1/query?query=up`, { headers: { origin: grafana } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(grafana);
  });

  it('reloads its rule files through the control API (SIGHUP), with the token only, reporting a refused file', async () => {
    const reload = `${url('control')}/stack/prometheus/reload`;
    expect((await raw(reload, { method: 'POST' })).status).toBe(401);
    const r = await raw(reload, { method: 'POST', headers: auth });
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { component: 'prometheus', ok: true, detail: 'configuration reloaded' }]);
  });
});

describe('listeners (native runtime)', () => {
  it('every listening socket of every process the sandbox started is on loopback', () => {
    const registry = new PidRegistry(join(sb.stateDir, 'pids'));
    const pids = [info.hostPid, ...registry.entries().map((e) => e.pid), reaperPid(sb.stateDir)!].filter((p) => p > 0);
    const listeners = listeningSockets(pids);
    // Found them at all: the control API, Prometheus, Alertmanager, blackbox, 2 services, sink, controller.
    const listenerPorts = new Set(listeners.map((l) => l.port));
    for (const p of [ports.control, ports.stack('prometheus'), ports.stack('alertmanager'), ports.service('ml-service'), ports.service('api-gateway'), ports.service('notification-sink'), ports.service('remediation-controller')]) {
      expect(listenerPorts.has(p), `nothing listens on ${p}: ${JSON.stringify(listeners)}`).toBe(true);
    }
    expect(listeners.filter((l) => !isLoopback(l.address))).toEqual([]);
  });
});
