import { authHeaders } from '../../core/control-guard.ts';
import type { TimelineRecorder } from '../timeline.ts';
import { startPolling } from './poller.ts';

interface Delivery {
  id: string;
  receiver: string;
  receivedAt: string;
  alerts: { alertname: string; status: 'firing' | 'resolved' }[];
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

/** Deliveries recorded by the notification sink, timed by when the sink received them. */
export function observeNotifications(sinkUrl: string, timeline: TimelineRecorder, token: string, intervalMs = 200): { stop(): Promise<void> } {
  const done = new Set<string>();
  return startPolling(async () => {
    for (const d of await getJson<Delivery[]>(`${sinkUrl}/deliveries`, token)) {
      if (done.has(d.id)) continue;
      done.add(d.id);
      const at = Date.parse(d.receivedAt);
      for (const a of d.alerts) timeline.record({ kind: 'notification', receiver: d.receiver, alert: a.alertname, status: a.status }, at);
    }
  }, intervalMs);
}

/** Actions recorded by the remediation controller, timed by when they finished. */
export function observeRemediations(controllerUrl: string, timeline: TimelineRecorder, token: string, intervalMs = 200): { stop(): Promise<void> } {
  const done = new Set<string>();
  return startPolling(async () => {
    for (const a of await getJson<ActionRecord[]>(`${controllerUrl}/actions`, token)) {
      if (a.result === 'started') continue; // recorded once it has an outcome
      const key = `${a.id}:${a.result}`;
      if (done.has(key)) continue;
      done.add(key);
      const at = Date.parse(a.finishedAt ?? a.startedAt ?? a.receivedAt);
      timeline.record({ kind: 'remediation', action: a.action, service: a.service, alert: a.alertname, result: a.result }, at);
    }
  }, intervalMs);
}

interface SupervisorEvent {
  seq: number;
  at: string;
  kind: 'process-start' | 'process-exit';
  service: string;
  restarts?: number;
  code?: number | null;
  signal?: string | null;
  expected?: boolean;
}

/** Process exits and starts as the supervisor saw them. */
export async function observeProcesses(controlUrl: string, timeline: TimelineRecorder, token: string, intervalMs = 200): Promise<{ stop(): Promise<void> }> {
  // Only what happens from now on belongs to this scenario.
  const existing = await getJson<SupervisorEvent[]>(`${controlUrl}/events`, token).catch(() => []);
  let after = existing.reduce((m, e) => Math.max(m, e.seq), 0);
  return startPolling(async () => {
    for (const e of await getJson<SupervisorEvent[]>(`${controlUrl}/events?after=${after}`, token)) {
      after = Math.max(after, e.seq);
      const at = Date.parse(e.at);
      if (e.kind === 'process-start') timeline.record({ kind: 'process-start', service: e.service, restarts: e.restarts ?? 0 }, at);
      else if (!e.expected) timeline.record({ kind: 'process-exit', service: e.service, code: e.code ?? null, signal: e.signal ?? null }, at);
    }
  }, intervalMs);
}
