import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Labels } from '../core/labels.ts';
import type { Difficulty } from './plan.ts';

/**
 * The workshop timeline: one JSON line per event, appended by the background driver (faults,
 * alerts, processes, recovery) and by the trainees' commands (ack, diagnose, fix, hint). Lines
 * are small single writes to a file opened for append, so writers in different processes do not
 * interleave. Scoring and the debrief read only this log.
 */
/** Why an injected fault ended in a workshop round (the scenario timeline's reasons differ). */
export type WorkshopFaultEndReason = 'expired' | 'cleared' | 'restarted' | 'stopped';

export type WorkshopEventBody =
  | { kind: 'workshop-start'; seed: number; difficulty: Difficulty; remediation: boolean }
  | { kind: 'load-start'; rate: number }
  | { kind: 'fault-start'; fault: string; service: string; id: string }
  | { kind: 'fault-end'; fault: string; service: string; id: string; reason: WorkshopFaultEndReason }
  | { kind: 'alert-pending'; alert: string; labels: Labels }
  | { kind: 'alert-firing'; alert: string; labels: Labels }
  | { kind: 'alert-resolved'; alert: string; labels: Labels }
  | { kind: 'notification'; receiver: string; alert: string; status: string }
  | { kind: 'remediation'; action: string; service: string; alert: string; result: string }
  | { kind: 'process-exit'; service: string; code: number | null; signal: string | null }
  | { kind: 'process-start'; service: string }
  | { kind: 'ack'; alerts: string[] }
  | { kind: 'diagnose'; service: string; cause: string; correct: boolean }
  | { kind: 'fix'; action: string; service: string; ok: boolean; detail: string }
  | { kind: 'hint'; level: number; cost: number }
  | { kind: 'recovered'; how: string }
  | { kind: 'reveal' }
  | { kind: 'reset' }
  | { kind: 'workshop-stop' }
  | { kind: 'driver-error'; message: string };

export type WorkshopEventKind = WorkshopEventBody['kind'];

/** `t`: seconds since the workshop started (wall clock, shared by every process); `at`: UTC time. */
export type WorkshopEvent = WorkshopEventBody & { t: number; at: string };

export type WorkshopEventOf<K extends WorkshopEventKind> = Extract<WorkshopEvent, { kind: K }>;

export function stamp(body: WorkshopEventBody, startedAtMs: number, atMs = Date.now()): WorkshopEvent {
  return { ...body, t: Math.round(atMs - startedAtMs) / 1000, at: new Date(atMs).toISOString() } as WorkshopEvent;
}

export function appendEvent(file: string, event: WorkshopEvent): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(event)}\n`);
}

/** Every event in time order; a torn or foreign line is skipped. */
export function readEvents(file: string): WorkshopEvent[] {
  if (!existsSync(file)) return [];
  const out: WorkshopEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as WorkshopEvent;
      if (typeof e.kind === 'string' && typeof e.t === 'number') out.push(e);
    } catch {
      /* a line cut short by a killed writer */
    }
  }
  return out.map((e, i) => [e, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e);
}

/** One-line human description, shared by the terminal scorecard and the HTML debrief. */
export function describeEvent(e: WorkshopEventBody): string {
  switch (e.kind) {
    case 'workshop-start':
      return `workshop started (seed ${e.seed}, ${e.difficulty}${e.remediation ? ', remediation on' : ''})`;
    case 'load-start':
      return `load started at ${e.rate} req/s`;
    case 'fault-start':
      return `fault injected: ${e.fault} on ${e.service}`;
    case 'fault-end':
      return `fault ended: ${e.fault} on ${e.service} (${e.reason})`;
    case 'alert-pending':
      return `${e.alert} pending${svc(e.labels)}`;
    case 'alert-firing':
      return `${e.alert} firing${svc(e.labels)}`;
    case 'alert-resolved':
      return `${e.alert} resolved${svc(e.labels)}`;
    case 'notification':
      return `${e.receiver} received ${e.alert} (${e.status})`;
    case 'remediation':
      return `controller: ${e.action} ${e.service} for ${e.alert} (${e.result})`;
    case 'process-exit':
      return `${e.service} exited (${e.signal ?? `code ${e.code}`})`;
    case 'process-start':
      return `${e.service} started`;
    case 'ack':
      return `acknowledged${e.alerts.length ? `: ${e.alerts.join(', ')}` : ''}`;
    case 'diagnose':
      return `diagnosis: ${e.cause} on ${e.service} (${e.correct ? 'correct' : 'wrong'})`;
    case 'fix':
      return `fix: ${e.action}${e.service ? ` ${e.service}` : ''} (${e.ok ? 'done' : `failed: ${e.detail}`})`;
    case 'hint':
      return `hint ${e.level} taken (−${e.cost} points)`;
    case 'recovered':
      return `recovered (${e.how})`;
    case 'reveal':
      return 'facilitator revealed the incident';
    case 'reset':
      return 'sandbox reset';
    case 'workshop-stop':
      return 'workshop stopped';
    case 'driver-error':
      return `workshop driver error: ${e.message}`;
  }
}

function svc(labels: Labels): string {
  return labels.service ? ` {service="${labels.service}"}` : '';
}
