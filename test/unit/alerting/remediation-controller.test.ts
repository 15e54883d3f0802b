import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SandboxClient, type ActionContext, type ActionOutcome } from '../../../scripts/alerting/remediation/actions/index.ts';
import { RemediationController } from '../../../scripts/alerting/remediation/controller.ts';
import { createMetrics } from '../../../scripts/alerting/remediation/metrics.ts';
import type { ActionSpec, PlaybookSet } from '../../../scripts/alerting/remediation/playbook-schema.ts';
import { validatePlaybooks } from '../../../scripts/alerting/remediation/playbook-validate.ts';
import { ActionStore } from '../../../scripts/alerting/remediation/records.ts';
import { SafetyGate } from '../../../scripts/alerting/remediation/safety.ts';
import type { WebhookBody } from '../../../scripts/alerting/remediation/webhook-schema.ts';

const PLAYBOOKS = `
defaults: { cooldown: 30s, maxAttempts: 2, window: 10m }
allowedActions: [restart, clear-faults, circuit-breaker, rollback-model]
playbooks:
  - name: down
    match: { alertname: ServiceDown }
    actions: [{ action: clear-faults }, { action: restart }]
  - name: gw
    match: { alertname: HighErrorRate, service: api-gateway }
    actions: [{ action: circuit-breaker, state: open, holdFor: 10s }]
    onResolved: [{ action: circuit-breaker, state: auto }]
`;

function playbooks(): PlaybookSet {
  const v = validatePlaybooks(PLAYBOOKS, 'test.yml');
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  return v.value;
}

function body(alertname: string, service: string, status: 'firing' | 'resolved' = 'firing', fingerprint = 'fp1'): WebhookBody {
  return { version: '4', status, alerts: [{ status, labels: { alertname, service }, annotations: {}, startsAt: '2026-01-01T00:00:00Z', fingerprint }] };
}

function setup(run: (spec: ActionSpec, ctx: ActionContext) => Promise<ActionOutcome>, dryRun = false) {
  let now = Date.parse('2026-01-01T00:00:10Z');
  const store = new ActionStore();
  const controller = new RemediationController({
    playbooks: playbooks(),
    store,
    gate: new SafetyGate(() => now),
    sandbox: new SandboxClient('http://127.0.0.1:1', 't'),
    token: 't',
    dryRun,
    log: pino({ level: 'silent' }),
    metrics: createMetrics(),
    run,
    now: () => new Date(now),
  });
  return { controller, store, advance: (ms: number) => (now += ms) };
}

afterEach(() => vi.useRealTimers());

describe('remediation controller (actions injected)', () => {
  it('runs a playbook in order and records each action started → succeeded under one id', async () => {
    const calls: string[] = [];
    const { controller, store } = setup(async (spec, ctx) => {
      calls.push(`${spec.action}:${ctx.service}`);
      return { detail: 'ok' };
    });
    controller.handle(body('ServiceDown', 'ml-service'));
    expect(store.list().map((r) => r.result)).toEqual(['started']);
    await controller.idle();
    expect(calls).toEqual(['clear-faults:ml-service', 'restart:ml-service']);
    expect(store.list().map((r) => [r.id, r.action, r.result])).toEqual([
      ['a1', 'clear-faults', 'succeeded'],
      ['a2', 'restart', 'succeeded'],
    ]);
  });

  it('stops the list at a failure and records the rest skipped', async () => {
    const { controller, store } = setup(async (spec) => {
      if (spec.action === 'clear-faults') throw new Error('DELETE /chaos/faults: HTTP 401 wrong token');
      return { detail: 'ok' };
    });
    controller.handle(body('ServiceDown', 'ml-service'));
    await controller.idle();
    expect(store.list()).toMatchObject([
      { action: 'clear-faults', result: 'failed', reason: 'DELETE /chaos/faults: HTTP 401 wrong token' },
      { action: 'restart', result: 'skipped', reason: 'previous-action-failed' },
    ]);
  });

  it('folds resends of the same alert into one skipped record', async () => {
    const run = vi.fn(async () => ({ detail: 'ok' }));
    const { controller, store } = setup(run);
    for (let i = 0; i < 4; i++) controller.handle(body('HighErrorRate', 'api-gateway'));
    await controller.idle();
    expect(run).toHaveBeenCalledTimes(1);
    expect(store.list()).toMatchObject([
      { result: 'succeeded', action: 'circuit-breaker' },
      { result: 'skipped', reason: 'duplicate', repeats: 2 },
    ]);
  });

  it('dry-run records what it would do and calls nothing', async () => {
    const run = vi.fn(async () => ({ detail: 'ok' }));
    const { controller, store } = setup(run, true);
    controller.handle(body('ServiceDown', 'ml-service'));
    await controller.idle();
    expect(run).not.toHaveBeenCalled();
    expect(store.list()).toMatchObject([
      { action: 'clear-faults', result: 'dry-run', reason: 'dry run: would clear faults on ml-service' },
      { action: 'restart', result: 'dry-run', reason: 'dry run: would restart ml-service' },
    ]);
  });

  it('runs onResolved on resolution and hands a held breaker back when the hold expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const states: string[] = [];
    const { controller, store } = setup(async (spec) => {
      if (spec.action === 'circuit-breaker') states.push(spec.state);
      return { detail: 'ok' };
    });
    controller.handle(body('HighErrorRate', 'api-gateway'));
    await controller.idle();
    expect(states).toEqual(['open']);
    await vi.advanceTimersByTimeAsync(10_000);
    await controller.idle();
    expect(states).toEqual(['open', 'auto']);
    controller.handle(body('HighErrorRate', 'api-gateway', 'resolved'));
    await controller.idle();
    expect(states).toEqual(['open', 'auto', 'auto']);
    expect(store.list()[1]!.detail).toBe('hold of 10s expired; ok');
    expect(store.list().map((r) => [r.phase, r.result])).toEqual([
      ['firing', 'succeeded'],
      ['firing', 'succeeded'],
      ['resolved', 'succeeded'],
    ]);
  });

  it('a resolution before the hold expires cancels the hold', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const states: string[] = [];
    const { controller } = setup(async (spec) => {
      if (spec.action === 'circuit-breaker') states.push(spec.state);
      return { detail: 'ok' };
    });
    controller.handle(body('HighErrorRate', 'api-gateway'));
    await controller.idle();
    controller.handle(body('HighErrorRate', 'api-gateway', 'resolved'));
    await controller.idle();
    await vi.advanceTimersByTimeAsync(20_000);
    await controller.idle();
    expect(states).toEqual(['open', 'auto']);
  });

  it('reset clears records and cooldowns', async () => {
    const run = vi.fn(async () => ({ detail: 'ok' }));
    const { controller, store } = setup(run);
    controller.handle(body('HighErrorRate', 'api-gateway'));
    await controller.idle();
    controller.reset();
    expect(store.list()).toEqual([]);
    controller.handle(body('HighErrorRate', 'api-gateway'));
    await controller.idle();
    expect(run).toHaveBeenCalledTimes(2);
  });
});
