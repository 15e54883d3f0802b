import { ControlClient } from '../../../scripts/core/control-client.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionContext } from '../../../scripts/alerting/remediation/actions/index.ts';
import { scaleOut } from '../../../scripts/alerting/remediation/actions/scale-out.ts';
import { connectionFrom } from '../../../scripts/runtime/connection.ts';
import { isAlive, PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { startSandbox, type Sandbox } from '../../../scripts/runtime/session.ts';
import { resetSandbox } from '../../../scripts/scenario/prepare.ts';
import { resetSandboxQuick } from '../../../scripts/workshop/actions.ts';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';

/**
 * Scale-out end to end on a real native sandbox: the supervisor runs a second ml-service
 * process, Prometheus scrapes it, the gateway spreads calls over both, the remediation action
 * verifies all of it, and the resets between scenarios take it back to one instance.
 */
let sandbox: Sandbox;
let control: ControlClient;
let token: string;
let primaryUrl: string;
let gatewayUrl: string;
let replicaPort: number;
let replicaUrl: string;

beforeAll(async () => {
  const iso = await isolatedSandbox('scale-out-');
  sandbox = await startSandbox({ runtime: 'native', stateDir: iso.stateDir, portOffset: iso.portOffset });
  control = new ControlClient(sandbox.info.controlUrl, sandbox.info.chaosToken);
  token = sandbox.info.chaosToken;
  primaryUrl = `http://127.0.0.1:${sandbox.ports.service('ml-service')}`;
  gatewayUrl = `http://127.0.0.1:${sandbox.ports.service('api-gateway')}`;
  replicaPort = sandbox.ports.replicas('ml-service')[0]!.port;
  replicaUrl = `http://127.0.0.1:${replicaPort}`;
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

async function scale(service: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await control.call('POST', `/services/${service}/scale`, { body, timeoutMs: 60_000 });
  return { status: res.status, body: res.json() };
}

async function status(): Promise<{ name: string; state: string; url?: string; pid?: number; restarts?: number }[]> {
  return (await control.status()).components;
}

async function upstreams(): Promise<string[]> {
  const res = await fetch(`${gatewayUrl}/admin/upstreams`, { headers: { 'x-chaos-token': token } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { upstreams: string[] }).upstreams;
}

function sampleTargets(): { targets: string[]; labels?: Record<string, string> }[] {
  return JSON.parse(readFileSync(join(sandbox.layout.configDir('prometheus'), 'targets', 'sample-services.json'), 'utf8'));
}

/** POST /predict calls an ml-service instance served, from its own /metrics. */
async function predictions(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_server_request_duration_seconds_count{') && l.includes('http_route="/predict"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function actionContext(service: string): ActionContext {
  return {
    service,
    sandbox: control,
    token,
    timeoutMs: 10_000,
    verifyTimeoutMs: 20_000,
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
  };
}

describe('scale-out', () => {
  it('scales ml-service to 2: a real replica process, scraped, and the gateway spreads calls over both; back to 1 removes it', async () => {
    const up = await scale('ml-service', { replicas: 2 });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ service: 'ml-service', replicas: 2, max: 3, started: ['ml-service-2'], stopped: [] });
    expect(up.body.routing).toEqual([{ via: 'api-gateway', upstreams: [primaryUrl, replicaUrl] }]);

    // A managed process: in status, in the pid registry, with a log file of its own, answering /health.
    const replica = (await status()).find((c) => c.name === 'ml-service-2');
    expect(replica).toMatchObject({ state: 'ready', url: replicaUrl, restarts: 0 });
    const pid = replica!.pid!;
    expect(isAlive(pid)).toBe(true);
    expect(new PidRegistry(sandbox.layout.pidsDir).entries().find((e) => e.pid === pid)?.name).toBe('ml-service-2');
    expect(existsSync(join(sandbox.layout.logsDir, 'ml-service-2.log'))).toBe(true);
    expect((await fetch(`${replicaUrl}/health`)).status).toBe(200);

    // Prometheus' discovery file lists it, service label kept, and Prometheus scrapes it.
    expect(sampleTargets()).toContainEqual({ targets: [`127.0.0.1:${replicaPort}`], labels: { service: 'ml-service', replica: 'ml-service-2' } });
    const prometheus = `http://127.0.0.1:${sandbox.ports.stack('prometheus')}`;
    await waitFor('Prometheus scrapes ml-service-2', async () => {
      const r = (await (await fetch(`${prometheus}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } };
      return r.data.activeTargets.find((t) => t.labels.replica === 'ml-service-2' && t.labels.service === 'ml-service' && t.health === 'up') ?? undefined;
    });

    // The gateway round-robins /predict over both instances.
    expect(await upstreams()).toEqual([primaryUrl, replicaUrl]);
    const before = [await predictions(primaryUrl), await predictions(replicaUrl)];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${gatewayUrl}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(makePredictRequest(i)) });
      expect(res.status).toBe(200);
    }
    const served = [(await predictions(primaryUrl)) - before[0]!, (await predictions(replicaUrl)) - before[1]!];
    // Round-robin: about half each (the blackbox exporter's /predict probe interleaves its own calls).
    expect(served[0]! + served[1]!).toBeGreaterThanOrEqual(20);
    expect(Math.min(...served), `per instance: ${served.join(', ')}`).toBeGreaterThanOrEqual(5);

    // Restarts of a replica are counted, in status and in process_restarts_total{replica}.
    const restarted = await control.call('POST', '/services/ml-service-2/restart', { timeoutMs: 30_000 });
    expect(restarted.status).toBe(200);
    expect((await status()).find((c) => c.name === 'ml-service-2')).toMatchObject({ state: 'ready', restarts: 1 });
    expect((await control.call('GET', '/metrics')).text).toMatch(/process_restarts_total\{service="ml-service",replica="ml-service-2"\} 1/);
    expect(isAlive(pid)).toBe(false);

    // A gateway restarted while ml-service is scaled out takes every instance from its environment.
    expect((await control.call('POST', '/services/api-gateway/restart', { timeoutMs: 30_000 })).status).toBe(200);
    expect(await upstreams()).toEqual([primaryUrl, replicaUrl]);

    // The count that runs: nothing changes.
    const again = await scale('ml-service', { replicas: 2 });
    expect(again.body).toMatchObject({ replicas: 2, started: [], stopped: [], restarted: [] });

    const replicaPid = (await status()).find((c) => c.name === 'ml-service-2')!.pid!;
    const down = await scale('ml-service', { replicas: 1 });
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ replicas: 1, started: [], stopped: ['ml-service-2'] });
    expect(down.body.routing).toEqual([{ via: 'api-gateway', upstreams: [primaryUrl] }]);
    expect(isAlive(replicaPid)).toBe(false);
    expect(new PidRegistry(sandbox.layout.pidsDir).entries().some((e) => e.name === 'ml-service-2')).toBe(false);
    expect((await status()).some((c) => c.name === 'ml-service-2')).toBe(false);
    expect(sampleTargets().some((g) => g.labels?.replica)).toBe(false);
    expect(sampleTargets()).toHaveLength(2);
    expect(await upstreams()).toEqual([primaryUrl]);
    expect((await fetch(`${gatewayUrl}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(makePredictRequest(99)) })).status).toBe(200);
  });

  it('refuses to scale api-gateway, and counts outside 1..3, saying why', async () => {
    const gw = await scale('api-gateway', { replicas: 2 });
    expect(gw.status).toBe(409);
    expect(gw.body.error).toMatch(/^api-gateway cannot be scaled: api-gateway is the single entry point/);
    const tooMany = await scale('ml-service', { replicas: 4 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatch(/ml-service can run at most 3 instances/);
    const bad = await scale('ml-service', { replicas: 'two' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/replicas: expected a whole number/);
    const empty = await scale('ml-service', null);
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/replicas: expected a whole number .*got nothing/);
    const replica = await scale('ml-service-2', { replicas: 2 });
    expect(replica.status).toBe(404);
    expect((await scale('nope', { replicas: 2 })).status).toBe(404);
    expect((await status()).some((c) => c.name.startsWith('api-gateway-'))).toBe(false);
  });

  it('the remediation action scales out through the control API and reports what it verified', async () => {
    const ctx = actionContext('ml-service');
    const out = await scaleOut({ action: 'scale-out', replicas: 2 }, ctx);
    expect(out.detail).toBe(
      `ml-service scaled 1 → 2 instances (started ml-service-2); verified: ml-service (${primaryUrl}), ml-service-2 (${replicaUrl}) answer /health; api-gateway routes to all 2`,
    );
    expect((await scaleOut({ action: 'scale-out', replicas: 2 }, ctx)).detail).toMatch(/^ml-service already runs 2 instance\(s\) \(no change\); verified: /);
    // Scale-out never scales in.
    expect((await scaleOut({ action: 'scale-out', replicas: 1 }, ctx)).detail).toMatch(/^ml-service already runs 2 instances, more than 1; scale-out removes none/);
    expect((await status()).find((c) => c.name === 'ml-service-2')?.state).toBe('ready');
    await expect(scaleOut({ action: 'scale-out', replicas: 2 }, actionContext('api-gateway'))).rejects.toThrow(/HTTP 409 api-gateway cannot be scaled: api-gateway is the single entry point/);
  });

  it('the scenario reset and the workshop quick reset scale ml-service back to one instance', async () => {
    const conn = connectionFrom(sandbox.info, sandbox.layout);
    if (!(await status()).some((c) => c.name === 'ml-service-2')) expect((await scale('ml-service', { replicas: 2 })).status).toBe(200);
    const pid = (await status()).find((c) => c.name === 'ml-service-2')!.pid!;
    await resetSandbox(conn, { remediation: true, run: 'scale-out-test' });
    expect(isAlive(pid)).toBe(false);
    expect((await status()).some((c) => c.name === 'ml-service-2')).toBe(false);
    expect(await upstreams()).toEqual([primaryUrl]);
    expect(sampleTargets().some((g) => g.labels?.replica)).toBe(false);

    expect((await scale('ml-service', { replicas: 3 })).body).toMatchObject({ replicas: 3, started: ['ml-service-2', 'ml-service-3'] });
    expect(await upstreams()).toHaveLength(3);
    await resetSandboxQuick(conn, { dryRun: false, waitMs: 0 });
    expect((await status()).filter((c) => c.name.startsWith('ml-service')).map((c) => c.name)).toEqual(['ml-service']);
    expect(await upstreams()).toEqual([primaryUrl]);
  });
});
