import { SandboxError, isSandboxError } from '../core/errors.ts';
import { authHeaders } from '../core/control-guard.ts';
import { injectorFor } from '../faults/index.ts';
import type { ActiveFault } from '../faults/types.ts';
import { LoadDriver } from '../load/driver.ts';
import { predictBodies } from '../load/payloads.ts';
import { connectToRunning, type SandboxConnection } from '../runtime/connection.ts';
import { stateLayout } from '../runtime/state.ts';
import { observeAlerts } from '../scenario/observers/alerts.ts';
import type { ObservationSink, ObservedEvent } from '../scenario/observers/observation.ts';
import { startPolling } from '../scenario/observers/poller.ts';
import { observeNotifications, observeProcesses, observeRemediations } from '../scenario/observers/receivers.ts';
import type { Labels } from '../core/labels.ts';
import { appendEvent, stamp, type WorkshopEventBody, type WorkshopFaultEndReason } from './events.ts';
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

/** A process start or unexpected exit, in the order the supervisor saw them. */
interface ProcessEvent {
  kind: 'process-start' | 'process-exit';
  service: string;
  atMs: number;
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

  // Observers: the scenario engine's own (Prometheus alerts, supervisor processes, the
  // receivers), into the workshop's event log; the driver keeps what it judges recovery by.
  const sink: ObservationSink = {
    record(e: ObservedEvent, atMs?: number) {
      const at = atMs ?? Date.now();
      switch (e.kind) {
        case 'background-alert':
          return;
        case 'alert-firing': {
          const a = { alert: e.alert, labels: e.labels };
          firing.set(alertKey(a), a);
          onFiring(a);
          break;
        }
        case 'alert-resolved':
          firing.delete(alertKey(e));
          break;
        case 'process-start':
          processEvents.push({ kind: e.kind, service: e.service, atMs: at });
          return record({ kind: 'process-start', service: e.service }, atMs);
        case 'process-exit':
          processEvents.push({ kind: e.kind, service: e.service, atMs: at });
          break;
      }
      record(e, atMs);
    },
  };
  if (urls.prometheus) stops.push(observeAlerts(urls.prometheus, sink, 250));
  stops.push(await observeProcesses(conn.control, sink, 250));
  if (urls['notification-sink']) stops.push(observeNotifications(urls['notification-sink'], sink, conn.chaosToken, null, 500));
  if (urls['remediation-controller']) stops.push(observeRemediations(urls['remediation-controller'], sink, conn.chaosToken, 500));

  const endFault = (r: Running, reason: WorkshopFaultEndReason, atMs?: number) => {
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
        const mine = processEvents.filter((e) => e.service === r.planned.service && e.atMs > r.startedMs);
        const starts = mine.filter((e) => e.kind === 'process-start');
        if (r.planned.type === 'crash') {
          if (starts[0]) endFault(r, 'restarted', starts[0].atMs);
        } else if (r.planned.type === 'crash-loop') {
          const last = starts.at(-1);
          const exitAfter = last && mine.slice(mine.indexOf(last) + 1).some((e) => e.kind === 'process-exit');
          if (last && !exitAfter && Date.now() - last.atMs >= CRASH_LOOP_STABLE_MS) endFault(r, 'cleared', last.atMs);
        } else {
          const ids = await activeFaultIds(conn, urls[r.planned.service]);
          if (ids !== null && !ids.includes(r.handle.id)) {
            if (starts[0]) endFault(r, 'restarted', starts[0].atMs);
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
      void conn.control.answers().then((ok) => {
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

const alertKey = (a: { alert: string; labels: Labels }) => JSON.stringify([a.alert, Object.entries(a.labels).sort(([x], [y]) => x.localeCompare(y))]);

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
