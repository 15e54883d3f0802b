import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentedToken } from '../../../scripts/core/control-guard.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { stateLayout } from '../../../scripts/runtime/state.ts';
import { Supervisor } from '../../../scripts/runtime/supervisor.ts';
import { services } from '../../../scripts/stack/services.ts';

/**
 * The notification sink and the remediation controller run in one process (platform-receivers),
 * each its own HTTP server on its own port, supervised as two services: one pid for both, each
 * ready on its own /health, restarted and stopped together, one log file.
 */
const TOKEN = 'platform-receivers-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A control API stand-in: records restart calls (made by the controller with fetch, from the shared process). */
const restarts: string[] = [];
let control: Server;
let controlUrl = '';

const dir = mkdtempSync(join(tmpdir(), 'platform-receivers-'));
const platform = services.filter((s) => s.role === 'platform');
let supervisor: Supervisor;
const ports = new Map<string, number>();
const url = (name: string) => `http://127.0.0.1:${ports.get(name)}`;

beforeAll(async () => {
  control = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    if (presentedToken(req.headers) !== TOKEN) return void res.writeHead(401).end('{"error":"token"}');
    if (req.method === 'GET' && path === '/status') return void res.end(JSON.stringify({ runtime: 'native', components: [{ name: 'ml-service', state: 'ready', url: 'http://127.0.0.1:9' }] }));
    const m = /^\/services\/([^/]+)\/restart$/.exec(path);
    if (req.method === 'POST' && m) {
      restarts.push(m[1]!);
      return void res.end(JSON.stringify({ name: m[1], state: 'ready', restarts: 1, pid: 1 }));
    }
    res.writeHead(404).end('{"error":"no route"}');
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
  controlUrl = `http://127.0.0.1:${(control.address() as { port: number }).port}`;
  for (const s of platform) ports.set(s.name, await freePort());
  supervisor = new Supervisor({
    projectRoot: PROJECT_ROOT,
    registry: new PidRegistry(join(dir, 'pids')),
    session: 't',
    logDir: join(dir, 'logs'),
    commonEnv: { CHAOS_TOKEN: TOKEN, SANDBOX_STATE_DIR: dir },
    env: (spec) => spec.env({ urlOf: (name) => (name === 'sandbox' ? controlUrl : url(name)), instanceUrlsOf: () => [], stateDir: dir }),
    port: (spec) => ports.get(spec.name)!,
  });
  await supervisor.startAll(platform);
}, 60_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await new Promise<void>((r) => control.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('platform receivers: the sink and the controller in one process', () => {
  it('both are ready, each on its own port, served by one process registered once as platform-receivers', async () => {
    const status = supervisor.status();
    const sink = status.find((s) => s.name === 'notification-sink')!;
    const controller = status.find((s) => s.name === 'remediation-controller')!;
    expect([sink.state, controller.state]).toEqual(['ready', 'ready']);
    expect(sink.pid).toBeDefined();
    expect(controller.pid).toBe(sink.pid);
    expect(sink.url).toBe(url('notification-sink'));
    expect(controller.url).toBe(url('remediation-controller'));
    // Its V8 flags ahead of the entry (and never --lite-mode, which breaks fetch: the next test).
    const argv = readFileSync(`/proc/${sink.pid}/cmdline`, 'utf8').split('\0');
    expect(argv.indexOf('--max-semi-space-size=1')).toBeGreaterThan(0);
    expect(argv.indexOf('--max-semi-space-size=1')).toBeLessThan(argv.findIndex((a) => a.includes('receivers-main')));
    expect(argv).not.toContain('--lite-mode');
    const entries = new PidRegistry(join(dir, 'pids')).entries();
    expect(entries.map((e) => [e.name, e.pid])).toEqual([['platform-receivers', sink.pid]]);
    // Each server answers only its own routes.
    expect((await fetch(`${url('notification-sink')}/health`)).status).toBe(200);
    expect(await (await fetch(`${url('remediation-controller')}/health`)).json()).toEqual({ status: 'ok', dryRun: false });
    expect((await fetch(`${url('notification-sink')}/actions`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url('remediation-controller')}/deliveries`, { headers: auth })).status).toBe(404);
    // Each its own metrics registry.
    const sinkMetrics = await (await fetch(`${url('notification-sink')}/metrics`)).text();
    const controllerMetrics = await (await fetch(`${url('remediation-controller')}/metrics`)).text();
    expect(sinkMetrics).toContain('notifications_received_total');
    expect(sinkMetrics).not.toContain('remediation_actions_total');
    expect(controllerMetrics).toContain('remediation_actions_total');
    expect(controllerMetrics).not.toContain('notifications_received_total');
  });

  it('the sink records a delivery and the controller restarts a down service through the control API (fetch works in the shared process)', async () => {
    const body = {
      version: '4',
      status: 'firing',
      receiver: 'pagerduty',
      groupKey: '{}:{alertname="ServiceDown"}',
      alerts: [
        { status: 'firing', labels: { alertname: 'ServiceDown', severity: 'critical', service: 'ml-service' }, annotations: { summary: 's' }, startsAt: '2026-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'f1' },
      ],
    };
    const post = (to: string) => fetch(to, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(`${url('notification-sink')}/webhook/pagerduty`)).status).toBe(200);
    const deliveries = (await (await fetch(`${url('notification-sink')}/deliveries?raw=false`, { headers: auth })).json()) as { receiver: string }[];
    expect(deliveries.map((d) => d.receiver)).toEqual(['pagerduty']);
    expect((await post(`${url('remediation-controller')}/alerts`)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    let actions: { action: string; service: string; result: string }[] = [];
    while (Date.now() < deadline) {
      actions = (await (await fetch(`${url('remediation-controller')}/actions`, { headers: auth })).json()) as typeof actions;
      if (actions.some((a) => a.result !== 'started')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(actions.map((a) => [a.action, a.service, a.result])).toEqual([['restart', 'ml-service', 'succeeded']]);
    expect(restarts).toEqual(['ml-service']);
    // One log, each line naming its service; `sandbox logs <either>` reads it.
    const logFile = join(dir, 'logs', 'platform-receivers.log');
    expect(stateLayout(dir).logFile('notification-sink')).toBe(logFile);
    expect(stateLayout(dir).logFile('remediation-controller')).toBe(logFile);
    const lines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { service: string; msg: string });
    expect(lines.find((l) => l.msg === 'notification sink listening')?.service).toBe('notification-sink');
    expect(lines.find((l) => l.msg === 'remediation controller listening')?.service).toBe('remediation-controller');
  });

  it('restarting one restarts the process: both get a new pid and count the restart, both ready again', async () => {
    const before = supervisor.status().find((s) => s.name === 'notification-sink')!.pid!;
    const after = await supervisor.restart('remediation-controller');
    const status = supervisor.status();
    const sink = status.find((s) => s.name === 'notification-sink')!;
    expect(after.state).toBe('ready');
    expect(sink.state).toBe('ready');
    expect(after.pid).not.toBe(before);
    expect(sink.pid).toBe(after.pid);
    expect([sink.restarts, after.restarts]).toEqual([1, 1]);
    expect(alive(before)).toBe(false);
    expect((await fetch(`${url('notification-sink')}/health`)).status).toBe(200);
    expect(new PidRegistry(join(dir, 'pids')).entries().map((e) => e.pid)).toEqual([after.pid]);
  });

  it('a crash of the process fails both; stopping one stops both and leaves no process', async () => {
    const pid = supervisor.status()[0]!.pid!;
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (supervisor.status().some((s) => s.state !== 'failed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(supervisor.status().map((s) => [s.name, s.state])).toEqual([
      ['notification-sink', 'failed'],
      ['remediation-controller', 'failed'],
    ]);
    await supervisor.restart('notification-sink');
    const again = supervisor.status()[0]!.pid!;
    await supervisor.stop('notification-sink');
    expect(supervisor.status().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    expect(alive(again)).toBe(false);
    expect(new PidRegistry(join(dir, 'pids')).entries()).toEqual([]);
  });
});

describe('platform receivers: one that cannot start takes the process down, the other closed first', () => {
  const entry = join(PROJECT_ROOT, 'scripts/alerting/receivers-main.ts');
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, ...env } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });

  it('an invalid playbook file: exit 2 naming it, and the sink port is free again', async () => {
    const bad = join(dir, 'bad-playbooks.yml');
    writeFileSync(bad, 'playbooks: 3\n');
    const sinkPort = await freePort();
    const r = await run({ PORT_NOTIFICATION_SINK: String(sinkPort), PORT_REMEDIATION_CONTROLLER: String(await freePort()), SANDBOX_CONTROL_URL: 'http://127.0.0.1:9', REMEDIATION_PLAYBOOKS: bad });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`remediation-controller: invalid playbook file ${bad}`);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(sinkPort, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    expect(free).toBe(true);
  });

  it("the controller's port taken: exit 1 naming the port", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await run({ PORT_NOTIFICATION_SINK: String(await freePort()), PORT_REMEDIATION_CONTROLLER: String(port), SANDBOX_CONTROL_URL: 'http://127.0.0.1:9' });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`remediation-controller could not listen on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });

  it('a bad port variable: exit 2 naming the variable', async () => {
    const r = await run({ PORT_NOTIFICATION_SINK: 'nine', PORT_REMEDIATION_CONTROLLER: String(await freePort()), SANDBOX_CONTROL_URL: 'http://127.0.0.1:9' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('notification-sink: PORT_NOTIFICATION_SINK must be a port number, got "nine"');
  });
});
