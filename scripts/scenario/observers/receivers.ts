import { authHeaders } from '../../core/control-guard.ts';
import { belongsToRun } from '../../core/labels.ts';
import type { ControlClient } from '../../core/control-client.ts';
import type { ObservationSink } from './observation.ts';
import { startPolling } from './poller.ts';

interface Delivery {
  id: string;
  receiver: string;
  receivedAt: string;
  alerts: { alertname: string; status: 'firing' | 'resolved'; labels?: Record<string, string> }[];
}

interface ActionRecord {
  id: string;
  alertname: string;
  service: string;
  action: string;
  result: 'started' | 'succeeded' | 'failed' | 'skipped' | 'dry-run';
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: authHeaders(token), signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Deliveries recorded by the notification sink, timed by when the sink received them. `run`: the
 * scenario run's label; an alert of another run (a late resolved notification of the scenario
 * before) is not this scenario's.
 */
export function observeNotifications(sinkUrl: string, sink: ObservationSink, token: string, run: string | null = null, intervalMs = 200): { stop(): Promise<void> } {
  const done = new Set<string>();
  return startPolling(async () => {
    for (const d of await getJson<Delivery[]>(`${sinkUrl}/deliveries`, token)) {
      if (done.has(d.id)) continue;
      done.add(d.id);
      const at = Date.parse(d.receivedAt);
      for (const a of d.alerts) {
        if (belongsToRun(a.labels ?? {}, run)) sink.record({ kind: 'notification', receiver: d.receiver, alert: a.alertname, status: a.status }, at);
      }
    }
  }, intervalMs);
}

/** Actions recorded by the remediation controller, timed by when they finished. */
export function observeRemediations(controllerUrl: string, sink: ObservationSink, token: string, intervalMs = 200): { stop(): Promise<void> } {
  const done = new Set<string>();
  return startPolling(async () => {
    for (const a of await getJson<ActionRecord[]>(`${controllerUrl}/actions`, token)) {
      if (a.result === 'started') continue; // recorded once it has an outcome
      const key = `${a.id}:${a.result}`;
      if (done.has(key)) continue;
      done.add(key);
      const at = Date.parse(a.finishedAt ?? a.startedAt ?? a.receivedAt);
      sink.record({ kind: 'remediation', action: a.action, service: a.service, alert: a.alertname, result: a.result }, at);
    }
  }, intervalMs);
}

/** Process exits and starts as the supervisor saw them. */
export async function observeProcesses(control: ControlClient, sink: ObservationSink, intervalMs = 200): Promise<{ stop(): Promise<void> }> {
  // Only what happens from now on belongs to this scenario.
  const existing = await control.events(0, 2000).catch(() => []);
  let after = existing.reduce((m, e) => Math.max(m, e.seq), 0);
  return startPolling(async () => {
    for (const e of await control.events(after, 2000)) {
      after = Math.max(after, e.seq);
      const at = Date.parse(e.at);
      if (e.kind === 'process-start') sink.record({ kind: 'process-start', service: e.service, restarts: e.restarts ?? 0 }, at);
      else if (!e.expected) sink.record({ kind: 'process-exit', service: e.service, code: e.code ?? null, signal: e.signal ?? null }, at);
    }
  }, intervalMs);
}
