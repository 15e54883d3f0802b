import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../scripts/runtime/processes/pid-registry.ts';
import { portPlan } from '../../scripts/stack/catalog.ts';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';
import { leftovers, NOTHING_LEFT, settleLeftovers } from '../helpers/leftovers.ts';

/**
 * `workshop reset` (scripts/workshop/README.md: "facilitator: clean sandbox in seconds, for the
 * next round"): after a round whose incident is in full swing, the reset ends the round, clears
 * the fault in the service, leaves every service ready, empties the receivers, and does it
 * without restarting the sandbox. Alerts from the incident are not silenced: they resolve by
 * themselves, and the reset names those still active. Driven through the real CLI, like
 * test/e2e/workshop.test.ts. The incident is error-burst: its fault lives inside ml-service, so
 * "no fault left" is read from the service's chaos API rather than inferred from a restart.
 */
const SEED = '7';
const START = ['workshop', 'start', '--seed', SEED, '--scenario', 'error-burst', '--quiet-period', '3s', '--runtime', 'native', '--json'];

type Sandbox = Awaited<ReturnType<typeof isolatedSandbox>>;
const started: Sandbox[] = [];
afterAll(async () => {
  for (const s of started) await runCli(['down'], s.env, 60_000);
});

async function json(sb: Sandbox, args: string[]): Promise<any> {
  const r = await runCli(args, sb.env);
  expect(r.code, `sandbox ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, context: () => unknown = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}\n${JSON.stringify(await context(), null, 2)}`);
}

async function get<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}
const key = (a: PromAlert) => JSON.stringify(Object.entries(a.labels).sort());
// How `workshop reset` names an alert it lists as still active.
const resetName = (a: PromAlert) => `${a.labels.alertname}${a.labels.service ? `{service="${a.labels.service}"}` : ''}`;
const label = (a: PromAlert) => `${a.labels.alertname}${a.labels.service ? `{service="${a.labels.service}"}` : ''}${a.labels.slo ? `{slo="${a.labels.slo}"}` : ''}`;

describe('sandbox workshop reset', () => {
  it('ends an incident in progress and leaves a clean, ready sandbox, in seconds and without restarting it', async () => {
    const sb = await isolatedSandbox('e2e-workshop-reset-');
    started.push(sb);
    const ports = portPlan(sb.portOffset);
    const url = (service: string) => `http://127.0.0.1:${ports.service(service)}`;
    const prometheus = `http://127.0.0.1:${ports.stack('prometheus')}`;
    const alerts = async () => (await get<{ data: { alerts: PromAlert[] } }>(`${prometheus}/api/v1/alerts`)).data.alerts;

    let t = performance.now();
    const start = await json(sb, START);
    const startSeconds = (performance.now() - t) / 1000;
    expect(start).toMatchObject({ remediation: false, startedSandbox: true });
    const session = JSON.parse(readFileSync(join(sb.stateDir, 'session.json'), 'utf8')) as { session: string; hostPid: number; chaosToken: string };
    const token = { 'x-chaos-token': session.chaosToken };
    const driverPid = JSON.parse(readFileSync(join(sb.stateDir, 'workshop', 'state.json'), 'utf8')).driverPid as number;
    expect(isAlive(driverPid)).toBe(true);
    // The sandbox's own processes (the driver is registered too, and is meant to go).
    const sandboxPids = leftovers(sb.stateDir).alivePids.filter((p) => p !== driverPid);
    expect(sandboxPids.length).toBeGreaterThanOrEqual(7);

    // The incident in full swing: the fault is in effect in ml-service and on call is paged.
    await until(
      'HighErrorRate on ml-service in workshop status',
      async () => {
        const s = await json(sb, ['workshop', 'status', '--json']);
        return s.alerts.find((a: { alert: string; labels: { service?: string } }) => a.alert === 'HighErrorRate' && a.labels.service === 'ml-service');
      },
      60_000,
    );
    const faultsBefore = await get<{ type: string }[]>(`${url('ml-service')}/chaos/faults`, token);
    expect(faultsBefore.map((f) => f.type)).toEqual(['errors']);
    const before = await alerts();
    expect(before.map(label)).toContain('HighErrorRate{service="ml-service"}');

    const resetAt = Date.now();
    t = performance.now();
    const reset = await runCli(['workshop', 'reset'], sb.env);
    const resetSeconds = (performance.now() - t) / 1000;
    expect(reset.code, `${reset.stdout}\n${reset.stderr}`).toBe(0);
    const reported = Number(reset.stdout.match(/^sandbox reset in (\d+(?:\.\d+)?)s: faults cleared, services ready, receivers emptied$/m)?.[1]);
    expect(reported, reset.stdout).toBeGreaterThan(0);
    const lingering = reset.stdout.match(/^alerts still active \(.*\): (.*)$/m)?.[1]?.split(', ') ?? [];
    const afterReset = await alerts();

    // Generous bounds: in seconds, and no slower than bringing a sandbox up for a round.
    expect(resetSeconds).toBeLessThan(20);
    expect(resetSeconds).toBeLessThan(startSeconds + 5);

    // The round ended: its driver (load and fault schedule) is gone.
    expect(isAlive(driverPid)).toBe(false);
    const status = await json(sb, ['workshop', 'status', '--json']);
    expect(status.active).toBe(false);
    const events = readFileSync(join(sb.stateDir, 'workshop', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.kind === 'fault-end' && e.fault === 'errors' && e.service === 'ml-service')).toBe(true);
    expect(events.at(-1).kind).toBe('reset');

    // No fault left in effect, in either service.
    expect(await get(`${url('ml-service')}/chaos/faults`, token)).toEqual([]);
    expect(await get(`${url('api-gateway')}/chaos/faults`, token)).toEqual([]);
    // Every service ready, in the same sandbox: nothing was restarted to get here.
    const doc = await json(sb, ['status', '--json']);
    for (const name of ['prometheus', 'alertmanager', 'ml-service', 'api-gateway', 'notification-sink', 'remediation-controller']) {
      expect(doc.components.find((c: { name: string }) => c.name === name)?.state, name).toBe('ready');
    }
    for (const s of ['ml-service', 'api-gateway']) expect((await fetch(`${url(s)}/ready`)).status, s).toBe(200);
    expect(doc.session).toBe(session.session);
    expect(sandboxPids.filter((p) => !isAlive(p))).toEqual([]);
    // Receivers emptied: nothing delivered or acted on before the reset is still on record.
    const deliveries = await get<{ receivedAt: string }[]>(`${url('notification-sink')}/deliveries?raw=false`, token);
    expect(deliveries.filter((d) => Date.parse(d.receivedAt) < resetAt)).toEqual([]);
    const actions = await get<{ receivedAt: string }[]>(`${url('remediation-controller')}/actions`, token);
    expect(actions.filter((a) => Date.parse(a.receivedAt) < resetAt)).toEqual([]);
    // Back to the round's defaults: breaker automatic, controller in dry-run (remediation off).
    expect(await get(`${url('api-gateway')}/admin/circuit-breaker`, token)).toMatchObject({ mode: 'auto' });
    expect(await get(`${url('remediation-controller')}/mode`, token)).toEqual({ dryRun: true });

    // Reset tells the truth about alerts: every one still active right after it is named.
    for (const a of afterReset) {
      if (before.some((b) => key(b) === key(a))) expect(lingering, `${label(a)} is active but reset did not name it`).toContain(resetName(a));
    }
    // The incident's alerts resolve by themselves (nothing silences them); the slow SLO burn
    // windows take minutes (the reset says so), so they are left to run out.
    const fast = before.filter((a) => a.labels.alertname !== 'SLOErrorBudgetBurn');
    t = performance.now();
    await until(
      'the incident’s alerts to resolve',
      async () => {
        const now = await alerts();
        return fast.some((b) => now.some((a) => key(a) === key(b))) ? undefined : true;
      },
      60_000,
      async () => ({ before: before.map(label), now: (await alerts()).map((a) => `${label(a)} ${a.state}`) }),
    );
    const resolveSeconds = (performance.now() - t) / 1000;
    const amLogin = { authorization: `Basic ${Buffer.from(`sandbox:${session.chaosToken}`).toString('base64')}` };
    const silences = await get<{ data?: unknown[] } | unknown[]>(`http://127.0.0.1:${ports.stack('alertmanager')}/api/v2/silences`, amLogin);
    expect(silences).toEqual([]);

    // The next round starts on the same sandbox.
    const next = await json(sb, ['workshop', 'start', '--seed', SEED, '--scenario', 'error-burst', '--quiet-period', '30s', '--json']);
    expect(next).toMatchObject({ startedSandbox: false });
    const stop = await runCli(['workshop', 'stop'], sb.env);
    expect(stop.code, stop.stderr).toBe(0);

    console.log(
      `workshop reset: start ${startSeconds.toFixed(1)}s, reset ${resetSeconds.toFixed(1)}s (reported ${reported}s); ` +
        `active before: ${before.map(label).join(', ')}; named as lingering: ${lingering.join(', ') || 'none'}; ` +
        `non-SLO alerts resolved ${resolveSeconds.toFixed(1)}s after the reset returned`,
    );

    const down = await runCli(['down'], sb.env, 60_000);
    expect(down.stdout).toMatch(/stopped the sandbox/);
    expect(await settleLeftovers(sb.stateDir, [...sandboxPids, driverPid])).toEqual(NOTHING_LEFT);
  });
});
