import { SandboxError } from '../core/errors.ts';
import { ControlApiError } from '../core/control-client.ts';
import { authHeaders } from '../core/control-guard.ts';
import type { SandboxConnection } from '../runtime/connection.ts';
import { fetchAlerts } from '../scenario/observers/alerts.ts';
import { scaleToOne } from '../scenario/prepare.ts';
import { sampleServiceNames, scalableServiceNames } from '../stack/catalog.ts';

/**
 * What trainees (and the facilitator's reset) do to the running sandbox. The fix actions are
 * the remediation playbooks' actions, through the same HTTP endpoints the controller calls.
 */
export const FIX_ACTIONS = ['restart', 'rollback-model', 'circuit-breaker', 'clear-faults'] as const;
export type FixAction = (typeof FIX_ACTIONS)[number];

export function isFixAction(a: string): a is FixAction {
  return (FIX_ACTIONS as readonly string[]).includes(a);
}

/** Services an action applies to when --service is not given. */
const DEFAULT_SERVICE: Record<FixAction, string | null> = {
  restart: null,
  'rollback-model': 'ml-service',
  'circuit-breaker': 'api-gateway',
  'clear-faults': null,
};

export interface FixResult {
  action: FixAction;
  service: string;
  ok: boolean;
  detail: string;
}

export interface FixOptions {
  service?: string;
  /** circuit-breaker: open, closed or auto (default open). */
  state?: string;
}

export async function applyFix(conn: SandboxConnection, action: FixAction, options: FixOptions): Promise<FixResult> {
  const service = options.service ?? DEFAULT_SERVICE[action];
  if (service !== null && !sampleServiceNames().includes(service)) {
    throw new SandboxError('INVALID_ARGUMENT', `"${service}" is not a sample service`, { hint: `services: ${sampleServiceNames().join(', ')}` });
  }
  const token = authHeaders(conn.chaosToken);
  const outcome = async (res: Response, what: string): Promise<{ ok: boolean; detail: string }> => {
    const text = (await res.text()).trim();
    return res.ok ? { ok: true, detail: what } : { ok: false, detail: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
  };
  const call = async (url: string, init: RequestInit, what: string) => {
    try {
      return await outcome(await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) }), what);
    } catch (e) {
      return { ok: false, detail: `${url} did not answer: ${(e as Error).message}` };
    }
  };
  switch (action) {
    case 'restart': {
      if (service === null) throw new SandboxError('INVALID_ARGUMENT', 'restart needs --service <name>', { hint: `services: ${sampleServiceNames().join(', ')}` });
      const r = await conn.control.restart(service).then(
        () => ({ ok: true, detail: `${service} restarted` }),
        (e: Error) => ({ ok: false, detail: e instanceof ControlApiError && e.status !== null ? `HTTP ${e.status}: ${e.reason}` : e.message }),
      );
      return { action, service, ...r };
    }
    case 'rollback-model': {
      const url = await conn.urlOf(service!);
      const r = await call(`${url}/admin/model/rollback`, { method: 'POST', headers: token }, 'model rolled back');
      return { action, service: service!, ...r };
    }
    case 'circuit-breaker': {
      const state = options.state ?? 'open';
      const url = await conn.urlOf(service!);
      const r = await call(
        `${url}/admin/circuit-breaker`,
        { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body: JSON.stringify({ state }) },
        `circuit breaker set to ${state}`,
      );
      return { action, service: service!, ...r };
    }
    case 'clear-faults': {
      const targets = service === null ? sampleServiceNames() : [service];
      const results = await Promise.all(targets.map((s) => clearFaults(conn, s)));
      return { action, service: service ?? 'all', ok: results.every((r) => r.ok), detail: results.map((r) => r.detail).join('; ') };
    }
  }
}

/**
 * Clear a service's faults: DELETE /chaos/faults, and end a crash loop (the supervisor's
 * restart-on-failure policy goes back to never and the service is started cleanly when it is
 * down or crashed within the last 30s).
 */
export async function clearFaults(conn: SandboxConnection, service: string): Promise<{ ok: boolean; detail: string }> {
  const status = await conn.status();
  const c = status.components.find((x) => x.name === service);
  const notes: string[] = [];
  const auth = authHeaders(conn.chaosToken);
  await conn.control.setRestartPolicy(service, { policy: 'never' }).catch(() => undefined);
  if (c?.state === 'ready' && c.url) {
    const res = await fetch(`${c.url}/chaos/faults`, { method: 'DELETE', headers: auth, signal: AbortSignal.timeout(5000) }).catch(() => null);
    await res?.body?.cancel();
    notes.push(res?.ok ? `faults on ${service} cleared` : `${service} did not clear its faults (${res ? `HTTP ${res.status}` : 'no answer'})`);
  }
  if (c?.state !== 'ready' || (await crashedRecently(conn, service))) {
    const failed = await conn.control.restart(service).then(
      () => null,
      (e: Error) => (e instanceof ControlApiError ? e.reason : e.message),
    );
    if (failed !== null) return { ok: false, detail: `${service} could not be restarted: ${failed}` };
    notes.push(`${service} restarted cleanly`);
  }
  return { ok: true, detail: notes.join(', ') || `nothing to clear on ${service}` };
}

async function crashedRecently(conn: SandboxConnection, service: string, windowMs = 30_000): Promise<boolean> {
  const events = await conn.control.events(0, 3000).catch(() => []);
  return events.some((e) => e.kind === 'process-exit' && e.service === service && !e.expected && Date.now() - Date.parse(e.at) < windowMs);
}

export interface FiringAlert {
  alert: string;
  labels: Record<string, string>;
  severity: string | null;
  activeAt: string | null;
}

/** Alerts firing in Prometheus right now (pending ones are not yet an alert for on-call). */
export async function firingAlerts(prometheusUrl: string): Promise<FiringAlert[]> {
  const alerts = await fetchAlerts(prometheusUrl);
  return alerts
    .filter((a) => a.state === 'firing')
    .map((a) => {
      const { alertname, ...labels } = a.labels;
      return { alert: alertname ?? '', labels, severity: a.labels.severity ?? null, activeAt: a.activeAt ?? null };
    });
}

/**
 * Back to a clean sandbox in seconds: faults cleared, crash loops ended, every sample service
 * ready and scaled back to one instance, the receivers' and controller's records emptied, the
 * circuit breaker automatic again.
 * Returns the alerts still active after waiting up to `waitMs` for them to resolve.
 */
export async function resetSandboxQuick(conn: SandboxConnection, options: { dryRun: boolean; waitMs?: number }): Promise<string[]> {
  const status = await conn.status();
  const byName = new Map(status.components.map((c) => [c.name, c]));
  await Promise.all(sampleServiceNames().map((s) => clearFaults(conn, s)));
  // Back to one instance of every scalable service, and the gateway's upstreams to match.
  for (const s of scalableServiceNames()) await scaleToOne(conn, s).catch(() => undefined);
  const auth = authHeaders(conn.chaosToken);
  const gateway = byName.get('api-gateway')?.url;
  if (gateway) {
    await fetch(`${gateway}/admin/circuit-breaker`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'auto' }),
      signal: AbortSignal.timeout(3000),
    }).then((r) => r.body?.cancel()).catch(() => undefined);
  }
  const controller = byName.get('remediation-controller')?.url;
  const sink = byName.get('notification-sink')?.url;
  const quiet = (p: Promise<Response>) => p.then((r) => r.body?.cancel()).catch(() => undefined);
  if (controller) {
    await quiet(fetch(`${controller}/actions`, { method: 'DELETE', headers: auth, signal: AbortSignal.timeout(3000) }));
    await quiet(fetch(`${controller}/mode`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...auth },
      // run: null, every alert counts: a scenario run before on this sandbox told the controller
      // to act on that run's alerts only, and a workshop round labels its alerts with its own.
      body: JSON.stringify({ dryRun: options.dryRun, run: null }),
      signal: AbortSignal.timeout(3000),
    }));
  }
  if (sink) await quiet(fetch(`${sink}/deliveries`, { method: 'DELETE', headers: auth, signal: AbortSignal.timeout(3000) }));
  const prometheus = byName.get('prometheus')?.url;
  if (!prometheus) return [];
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  let active: string[] = [];
  do {
    active = (await fetchAlerts(prometheus).catch(() => [])).map((a) => `${a.labels.alertname}${a.labels.service ? `{service="${a.labels.service}"}` : ''}`);
    if (active.length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < deadline);
  return active;
}
