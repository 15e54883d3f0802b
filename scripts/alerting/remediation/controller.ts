import type { Logger } from 'pino';
import { describeAction, runAction, type ActionContext, type ActionOutcome } from './actions/index.ts';
import type { ControlClient } from '../../core/control-client.ts';
import { findPlaybook, targetService } from './match.ts';
import type { RemediationMetrics } from './metrics.ts';
import type { ActionSpec, Playbook, PlaybookSet } from './playbook-schema.ts';
import type { ActionRecord, ActionStore } from './records.ts';
import { actionKey, alertInstance, type SafetyGate } from './safety.ts';
import type { WebhookAlert, WebhookBody } from '../webhook-body.ts';
import { belongsToRun } from '../../core/labels.ts';

export interface ControllerDeps {
  playbooks: PlaybookSet;
  store: ActionStore;
  gate: SafetyGate;
  sandbox: ControlClient;
  token: string | undefined;
  dryRun: boolean;
  log: Logger;
  metrics: RemediationMetrics;
  /** Replaceable in tests; the real actions otherwise. */
  run?: (spec: ActionSpec, ctx: ActionContext) => Promise<ActionOutcome>;
  now?: () => Date;
}

type Phase = 'firing' | 'resolved';
type StepResult = 'continue' | 'stop';

/**
 * Turns alerts into actions: the matching playbook's `actions` on firing, `onResolved` on
 * resolved, each through the safety gate, each recorded (started → outcome, same record).
 */
export class RemediationController {
  dryRun: boolean;
  /**
   * The scenario run under way (its `sandbox_run` label), or null for any. Alerts of another run
   * are ignored: resolved notifications of the previous scenario can arrive after the next one
   * started, and must not run its `onResolved` actions there.
   */
  currentRun: string | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Skipped resends folded into one record: key|instance|reason → record id. */
  private readonly folded = new Map<string, string>();
  /** Circuit breakers pinned for a while, per service: the timer that hands them back. */
  private readonly holds = new Map<string, NodeJS.Timeout>();
  private abort = new AbortController();
  private readonly run: NonNullable<ControllerDeps['run']>;
  private readonly now: () => Date;

  constructor(private readonly deps: ControllerDeps) {
    this.dryRun = deps.dryRun;
    this.run = deps.run ?? runAction;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Starts the work for every alert and returns at once. The safety decision for each alert's
   * first action is taken before this returns, so a resend right behind it is seen as one.
   */
  handle(body: WebhookBody): { alerts: number; matched: number } {
    const receivedAt = this.now().toISOString();
    let matched = 0;
    for (const alert of body.alerts) {
      const phase: Phase = alert.status;
      if (!belongsToRun(alert.labels, this.currentRun)) {
        this.deps.log.debug({ alertname: alert.labels.alertname, labels: alert.labels, status: phase, currentRun: this.currentRun }, 'alert of an earlier scenario run ignored');
        continue;
      }
      const playbook = findPlaybook(this.deps.playbooks.playbooks, alert.labels);
      if (!playbook) {
        this.deps.log.debug({ alertname: alert.labels.alertname, labels: alert.labels, status: phase }, 'no playbook matches the alert');
        continue;
      }
      const list = phase === 'firing' ? playbook.actions : playbook.onResolved;
      if (list.length === 0) continue;
      matched++;
      this.track(this.runList(playbook, list, alert, phase, receivedAt));
    }
    return { alerts: body.alerts.length, matched };
  }

  /** Forgets every record, cooldown, attempt and pending hold (the scenario engine's reset). */
  reset(): number {
    this.deps.gate.reset();
    this.folded.clear();
    for (const t of this.holds.values()) clearTimeout(t);
    this.holds.clear();
    return this.deps.store.clear();
  }

  /** Waits for actions under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Cancels actions under way and pending holds. */
  async close(): Promise<void> {
    this.abort.abort();
    for (const t of this.holds.values()) clearTimeout(t);
    this.holds.clear();
    await this.idle();
    this.abort = new AbortController();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.deps.log.error({ err }, 'remediation failed unexpectedly')).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async runList(playbook: Playbook, list: ActionSpec[], alert: WebhookAlert, phase: Phase, receivedAt: string): Promise<void> {
    for (let i = 0; i < list.length; i++) {
      const outcome = await this.step(playbook, list[i]!, alert, phase, receivedAt);
      if (outcome === 'continue') continue;
      if (outcome === 'stop') return;
      // The action failed: the rest of the list is not attempted, and says so.
      for (const rest of list.slice(i + 1)) {
        this.skip(playbook, rest, alert, phase, receivedAt, targetService(rest, alert.labels) ?? '', 'previous-action-failed', `${list[i]!.action} failed before it`);
      }
      return;
    }
  }

  /** One action: gate, record, run, verify, record the outcome. 'failed' stops the list. */
  private async step(playbook: Playbook, spec: ActionSpec, alert: WebhookAlert, phase: Phase, receivedAt: string): Promise<StepResult | 'failed'> {
    const service = targetService(spec, alert.labels);
    if (!service) {
      this.skip(playbook, spec, alert, phase, receivedAt, '', 'no-service', 'the action names no service and the alert has no service label');
      return 'stop';
    }
    const key = actionKey(playbook.name, service, spec.action, phase);
    const instance = alertInstance(alert.fingerprint, alert.startsAt);
    const decision = this.deps.gate.tryStart(key, instance, playbook.limits);
    if (!decision.run) {
      const foldKey = `${key}|${instance}|${decision.reason}`;
      const existing = this.folded.get(foldKey);
      const record = existing ? this.deps.store.get(existing) : undefined;
      if (record) {
        this.deps.store.update(record.id, { repeats: (record.repeats ?? 0) + 1 }, 'repeated');
        this.deps.metrics.actions.inc({ action: spec.action, result: 'skipped' });
      } else {
        const r = this.skip(playbook, spec, alert, phase, receivedAt, service, decision.reason, decision.detail);
        this.folded.set(foldKey, r.id);
      }
      return 'stop';
    }

    const base = this.base(playbook, spec, alert, phase, receivedAt, service);
    try {
      if (this.dryRun) {
        const at = this.now().toISOString();
        const r = this.deps.store.add({ ...base, result: 'dry-run', reason: `dry run: would ${describeAction(spec, service)}`, startedAt: at, finishedAt: at });
        this.count(r);
        this.deps.log.info(summary(r), 'dry run: action recorded, nothing called');
        return 'continue';
      }
      return await this.execute(playbook, spec, base, service);
    } finally {
      this.deps.gate.finish(key);
    }
  }

  private async execute(playbook: Playbook, spec: ActionSpec, base: Omit<ActionRecord, 'id' | 'result'>, service: string): Promise<StepResult | 'failed'> {
    if (spec.action === 'circuit-breaker') this.cancelHold(service);
    const started = this.deps.store.add({ ...base, result: 'started', startedAt: this.now().toISOString() });
    this.deps.log.info(summary(started), `remediation started: ${describeAction(spec, service)}`);
    const t0 = performance.now();
    const ctx: ActionContext = {
      service,
      sandbox: this.deps.sandbox,
      token: this.deps.token,
      timeoutMs: playbook.limits.timeout,
      verifyTimeoutMs: playbook.limits.verifyTimeout,
      signal: this.abort.signal,
      log: this.deps.log,
    };
    try {
      const outcome = await this.run(spec, ctx);
      const detail = base.detail ? `${base.detail}; ${outcome.detail}` : outcome.detail;
      const r = this.deps.store.update(started.id, { result: 'succeeded', detail, finishedAt: this.now().toISOString() }, 'succeeded');
      if (r) {
        this.count(r);
        this.deps.log.info(summary(r), `remediation succeeded: ${outcome.detail}`);
      }
      if (spec.action === 'circuit-breaker' && spec.holdFor && spec.state !== 'auto') this.scheduleHold(playbook, base, service, spec.holdFor);
      return 'continue';
    } catch (e) {
      const reason = (e as Error).message;
      const r = this.deps.store.update(started.id, { result: 'failed', reason, finishedAt: this.now().toISOString() }, 'failed');
      if (r) {
        this.count(r);
        this.deps.log.warn(summary(r), `remediation failed: ${reason}`);
      }
      return 'failed';
    } finally {
      this.deps.metrics.duration.observe({ action: spec.action }, (performance.now() - t0) / 1000);
    }
  }

  /** After holdFor, the pinned breaker goes back to automatic mode (unless something else touched it first). */
  private scheduleHold(playbook: Playbook, base: Omit<ActionRecord, 'id' | 'result'>, service: string, holdFor: number): void {
    const timer = setTimeout(() => {
      this.holds.delete(service);
      const spec: ActionSpec = { action: 'circuit-breaker', service, state: 'auto' };
      const receivedAt = this.now().toISOString();
      this.track(
        this.execute(playbook, spec, { ...base, receivedAt, detail: `hold of ${holdFor / 1000}s expired` }, service).then(() => undefined),
      );
    }, holdFor);
    timer.unref();
    this.holds.set(service, timer);
  }

  private cancelHold(service: string): void {
    const t = this.holds.get(service);
    if (t) clearTimeout(t);
    this.holds.delete(service);
  }

  private skip(playbook: Playbook, spec: ActionSpec, alert: WebhookAlert, phase: Phase, receivedAt: string, service: string, reason: string, detail: string): ActionRecord {
    const r = this.deps.store.add({ ...this.base(playbook, spec, alert, phase, receivedAt, service), result: 'skipped', reason, detail });
    this.count(r);
    this.deps.log.info(summary(r), `remediation skipped (${reason}): ${detail}`);
    return r;
  }

  private base(playbook: Playbook, spec: ActionSpec, alert: WebhookAlert, phase: Phase, receivedAt: string, service: string): Omit<ActionRecord, 'id' | 'result'> {
    return {
      playbook: playbook.name,
      alertname: alert.labels.alertname ?? '',
      service,
      action: spec.action,
      phase,
      receivedAt,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
    };
  }

  private count(r: ActionRecord): void {
    this.deps.metrics.actions.inc({ action: r.action, result: r.result });
  }
}

function summary(r: ActionRecord): Record<string, unknown> {
  return { record: r.id, playbook: r.playbook, alertname: r.alertname, target: r.service, action: r.action, phase: r.phase, result: r.result, reason: r.reason };
}
