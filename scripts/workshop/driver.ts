import { SandboxError, isSandboxError } from '../core/errors.ts';
import { authHeaders } from '../core/control-guard.ts';
import { injectorFor } from '../faults/index.ts';
import type { ActiveFault } from '../faults/types.ts';
import { LoadDriver } from '../load/driver.ts';
import { predictBodies } from '../load/payloads.ts';
import { connectToRunning, type SandboxConnection } from '../runtime/connection.ts';
import { controlAnswers } from '../runtime/session.ts';
import { stateLayout } from '../runtime/state.ts';
import { fetchAlerts } from '../scenario/observers/alerts.ts';
import { startPolling } from '../scenario/observers/poller.ts';
import { appendEvent, stamp, type FaultEndReason, type Labels, type WorkshopEventBody } from './events.ts';
import type { PlannedFault } from './plan.ts';
import { alertMatches as matches, recoveryOf } from './recovery.ts';
import { readWorkshopState, workshopLayout, writeWorkshopState, type WorkshopState } from './state.ts';

/** A crash loop counts as over once the service has stayed up this long. */
const CRASH_LOOP_STABLE_MS = 10_000;

interface Running {
  planned: PlannedFault;
  handle: ActiveFault;
  startedMs: number;
  ended: boolean;
}

interface ProcessEvent {
  seq: number;
  at: string;
  kind: 'process-start' | 'process-exit';
  service: string;
  code?: number | null;
  signal?: string | null;
  expected?: boolean;
}

/**
 * The workshop driver: a background process (like the sandbox host) that keeps load on the
 * services, injects the hidden incident after the quiet period, and records what happens
 * (faults, alerts, notifications, controller actions, processes, recovery) to the workshop's
 * event log and state.json. It runs until SIGTERM (`workshop stop`/`reset`, `sandbox down`'s
 * reaping) or until the sandbox goes away.
 */
export async function runDriver(stateDir: string, log: (line: string) => void = () => undefined): Promise<void> {
  const layout = stateLayout(stateDir);
  const w = workshopLayout(layout);
  const initial = readWorkshopState(w);
  if (!initial) throw new SandboxError('INVALID_CONFIG', `no workshop state in ${w.dir}`);
  let state: WorkshopState = initial;
  const conn = connectToRunning(layout);
  const startedAtMs = Date.parse(state.startedAt);
  const record = (body: WorkshopEventBody, atMs?: number) => appendEvent(w.eventsFile, stamp(body, startedAtMs, atMs));
  const save = (patch: Partial<WorkshopState>) => {
    state = { ...state, ...patch };
    writeWorkshopState(w, state);
  };
  const plan = state.plan;
  const urls = Object.fromEntries((await conn.status()).components.map((c) => [c.name, c.url ?? '']));
  save({ driverPid: process.pid, phase: 'quiet' });
  log(`driver ${process.pid}: ${plan.scenario}, incident in ${plan.quietPeriodSeconds}s`);

  const stops: { stop(): Promise<void> }[] = [];
  const timers: NodeJS.Timeout[] = [];
  const running: Running[] = [];
  const processEvents: ProcessEvent[] = [];
  const firing = new Map<string, { alert: string; labels: Labels }>();
  let recovered = state.recoveredAt !== null;
  // Whether the primary alert has been seen firing since the incident started.
  const primary = plan.expectedAlerts[0] ?? null;
  const seen = { primary: false };
  const onFiring = (a: { alert: string; labels: Labels }) => {
    if (primary && running.length > 0 && matches(primary, a)) seen.primary = true;
  };

  // Load: the scenario's rate and request mix, for as long as the workshop runs.
  let load: LoadDriver | undefined;
  if (plan.load.rate > 0 && urls['api-gateway']) {
    const nextBody = predictBodies(plan.seed);
    load = new LoadDriver({
      rate: plan.load.rate,
      durationSeconds: 7 * 86_400,
      requests: plan.load.requests,
      baseUrl: urls['api-gateway'],
      body: (entry) => (entry.method === 'GET' || entry.method === 'DELETE' ? undefined : nextBody()),
    });
    void load.run();
    record({ kind: 'load-start', rate: plan.load.rate });
  }

  // Observers: Prometheus alerts, supervisor processes, the receivers.
  if (urls.prometheus) stops.push(observeAlerts(urls.prometheus, record, firing, onFiring));
  stops.push(await observeProcesses(conn.controlUrl, record, processEvents, conn.chaosToken));
  if (urls['notification-sink']) stops.push(observeList(`${urls['notification-sink']}/deliveries`, record, deliveryEvents, conn.chaosToken));
  if (urls['remediation-controller']) stops.push(observeList(`${urls['remediation-controller']}/actions`, record, actionEvents, conn.chaosToken));

  const endFault = (r: Running, reason: FaultEndReason, atMs?: number) => {
    if (r.ended) return;
    r.ended = true;
    record({ kind: 'fault-end', fault: r.planned.type, service: r.planned.service, id: r.handle.id, reason }, atMs);
  };

  // The incident, on schedule.
  for (const f of plan.faults) {
    atWallClock(timers, startedAtMs + f.atSeconds * 1000, () => {
        void inject(conn, f)
          .then(({ handle, sentAt }) => {
            const r: Running = { planned: f, handle, startedMs: sentAt, ended: false };
            running.push(r);
            record({ kind: 'fault-start', fault: f.type, service: f.service, id: handle.id }, sentAt);
            const t = Math.round(sentAt - startedAtMs) / 1000;
            save({ phase: 'incident', injected: [...state.injected, { type: f.type, service: f.service, id: handle.id, at: new Date(sentAt).toISOString(), t }] });
            log(`injected ${f.type} on ${f.service} (${handle.id})`);
            if (f.durationSeconds !== null) {
              timers.push(
                setTimeout(() => {
                  if (r.ended) return;
                  void handle.clear();
                  endFault(r, 'expired');
                }, f.durationSeconds * 1000),
              );
            }
          })
          .catch((e: unknown) => {
            const message = isSandboxError(e) ? e.message : (e as Error).message;
            record({ kind: 'driver-error', message });
            log(`injection failed: ${message}`);
          });
    });
  }

  // Fault ends and recovery, as observed.
  stops.push(
    startPolling(async () => {
      for (const r of running) {
        if (r.ended) continue;
        const starts = processEvents.filter((e) => e.kind === 'process-start' && e.service === r.planned.service && Date.parse(e.at) > r.startedMs);
        if (r.planned.type === 'crash') {
          if (starts[0]) endFault(r, 'restarted', Date.parse(starts[0].at));
        } else if (r.planned.type === 'crash-loop') {
          const last = starts.at(-1);
          const exitAfter = last && processEvents.some((e) => e.kind === 'process-exit' && e.service === r.planned.service && !e.expected && e.seq > last.seq);
          if (last && !exitAfter && Date.now() - Date.parse(last.at) >= CRASH_LOOP_STABLE_MS) endFault(r, 'cleared', Date.parse(last.at));
        } else {
          const ids = await activeFaultIds(conn, urls[r.planned.service]);
          if (ids !== null && !ids.includes(r.handle.id)) {
            if (starts[0]) endFault(r, 'restarted', Date.parse(starts[0].at));
            else endFault(r, 'cleared');
          }
        }
      }
      if (!recovered && running.length > 0) {
        const how = recoveryOf(primary, firing.values(), running, seen.primary);
        if (how) {
          recovered = true;
          record({ kind: 'recovered', how });
          save({ recoveredAt: new Date().toISOString() });
          log(`recovered: ${how}`);
        }
      }
    }, 500),
  );

  // Stop when asked, or when the sandbox is gone.
  await new Promise<void>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => resolve());
    let misses = 0;
    const watch = setInterval(() => {
      void controlAnswers(conn.controlUrl).then((ok) => {
        misses = ok ? 0 : misses + 1;
        if (misses >= 3) {
          log('the sandbox is gone; stopping');
          resolve();
        }
      });
    }, 2000);
    timers.push(watch);
  });
  timers.forEach(clearTimeout);
  load?.stop();
  const deadline = AbortSignal.timeout(3000);
  await Promise.race([
    Promise.all(running.filter((r) => !r.ended).map(async (r) => {
      await r.handle.clear().catch(() => undefined);
      endFault(r, 'stopped');
    })),
    new Promise((r) => deadline.addEventListener('abort', r)),
  ]);
  await Promise.race([Promise.all(stops.map((s) => s.stop())), new Promise((r) => setTimeout(r, 1000))]);
  save({ phase: 'ended', endedAt: new Date().toISOString(), driverPid: null });
  log('driver stopped');
}

async function inject(conn: SandboxConnection, f: PlannedFault): Promise<{ handle: ActiveFault; sentAt: number }> {
  const sentAt = Date.now();
  const handle = await injectorFor(f.type).inject(conn, { type: f.type, service: f.service, params: f.params, durationSeconds: f.durationSeconds });
  return { handle, sentAt };
}

async function activeFaultIds(conn: SandboxConnection, serviceUrl: string | undefined): Promise<string[] | null> {
  if (!serviceUrl) return null;
  try {
    const res = await fetch(`${serviceUrl}/chaos/faults`, { headers: authHeaders(conn.chaosToken), signal: AbortSignal.timeout(1000) });
    if (!res.ok) return null;
    return ((await res.json()) as { id: string }[]).map((f) => f.id);
  } catch {
    return null;
  }
}

type Record_ = (body: WorkshopEventBody, atMs?: number) => void;

function observeAlerts(
  prometheusUrl: string,
  record: Record_,
  firing: Map<string, { alert: string; labels: Labels }>,
  onFiring: (a: { alert: string; labels: Labels }) => void,
): { stop(): Promise<void> } {
  const known = new Map<string, { state: string; alert: string; labels: Labels }>();
  return startPolling(async () => {
    const alerts = await fetchAlerts(prometheusUrl);
    const seen = new Set<string>();
    for (const a of alerts) {
      const { alertname, ...labels } = a.labels;
      if (!alertname) continue;
      const key = JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => x.localeCompare(y)));
      seen.add(key);
      const before = known.get(key);
      if (!before || before.state !== a.state) {
        record({ kind: a.state === 'firing' ? 'alert-firing' : 'alert-pending', alert: alertname, labels });
        known.set(key, { state: a.state, alert: alertname, labels });
      }
      if (a.state === 'firing') {
        firing.set(key, { alert: alertname, labels });
        onFiring({ alert: alertname, labels });
      }
    }
    for (const [key, v] of known) {
      if (seen.has(key)) continue;
      known.delete(key);
      firing.delete(key);
      if (v.state === 'firing') record({ kind: 'alert-resolved', alert: v.alert, labels: v.labels });
    }
  }, 250);
}

async function observeProcesses(controlUrl: string, record: Record_, events: ProcessEvent[], token: string): Promise<{ stop(): Promise<void> }> {
  const get = async (after: number) => {
    const res = await fetch(`${controlUrl}/events?after=${after}`, { headers: authHeaders(token), signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as ProcessEvent[];
  };
  let after = (await get(0).catch(() => [])).reduce((m, e) => Math.max(m, e.seq), 0);
  return startPolling(async () => {
    for (const e of await get(after)) {
      after = Math.max(after, e.seq);
      events.push(e);
      const at = Date.parse(e.at);
      if (e.kind === 'process-start') record({ kind: 'process-start', service: e.service }, at);
      else if (!e.expected) record({ kind: 'process-exit', service: e.service, code: e.code ?? null, signal: e.signal ?? null }, at);
    }
  }, 250);
}

interface Delivery {
  id: string;
  receiver: string;
  receivedAt: string;
  alerts: { alertname: string; status: string }[];
}
interface ActionRecord {
  id: string;
  alertname: string;
  service: string;
  action: string;
  result: string;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

function deliveryEvents(d: Delivery): { key: string; events: [WorkshopEventBody, number][] } {
  return { key: d.id, events: d.alerts.map((a) => [{ kind: 'notification', receiver: d.receiver, alert: a.alertname, status: a.status }, Date.parse(d.receivedAt)]) };
}

function actionEvents(a: ActionRecord): { key: string; events: [WorkshopEventBody, number][] } | null {
  if (a.result === 'started') return null;
  return {
    key: `${a.id}:${a.result}`,
    events: [[{ kind: 'remediation', action: a.action, service: a.service, alert: a.alertname, result: a.result }, Date.parse(a.finishedAt ?? a.startedAt ?? a.receivedAt)]],
  };
}

/** Poll a receiver's record list; each new entry becomes events once. */
function observeList<T>(url: string, record: Record_, toEvents: (item: T) => { key: string; events: [WorkshopEventBody, number][] } | null, token: string): { stop(): Promise<void> } {
  const done = new Set<string>();
  return startPolling(async () => {
    const res = await fetch(url, { headers: authHeaders(token), signal: AbortSignal.timeout(2000) });
    if (!res.ok) return void (await res.body?.cancel());
    for (const item of (await res.json()) as T[]) {
      const mapped = toEvents(item);
      if (!mapped || done.has(mapped.key)) continue;
      done.add(mapped.key);
      for (const [body, at] of mapped.events) record(body, Number.isFinite(at) ? at : undefined);
    }
  }, 500);
}

/**
 * Run `fn` once the wall clock reaches `targetMs`. Node's timers run on a monotonic clock and may
 * fire a millisecond before `Date.now()` reaches the target, and the reveal promises "not before
 * the planned second", so an early wake-up waits again for the remainder.
 */
function atWallClock(timers: NodeJS.Timeout[], targetMs: number, fn: () => void): void {
  const remaining = targetMs - Date.now();
  if (remaining <= 0) return fn();
  timers.push(setTimeout(() => atWallClock(timers, targetMs, fn), remaining));
}
