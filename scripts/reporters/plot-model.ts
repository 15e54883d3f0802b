import type { Labels } from '../core/labels.ts';
import type { EventOf, FaultEndReason, TimelineEvent } from '../scenario/timeline.ts';

/**
 * The timeline turned into what the HTML plot draws: windows (load, faults, alert states) and
 * point markers (notifications, remediation actions, process exits/starts), all on the
 * timeline's own `t` axis. Pure, so the shapes are tested without parsing SVG.
 */

/** `open`: still going when the timeline ended; drawn to the end of the axis. */
export interface Window {
  start: number;
  end: number;
  open: boolean;
}
export interface LoadWindow extends Window {
  rate: number;
  sent: number | null;
  failed: number | null;
}
export interface FaultWindow extends Window {
  id: string;
  fault: string;
  service: string;
  reason: FaultEndReason | null;
}
export interface AlertSpan extends Window {
  state: 'pending' | 'firing';
}
export interface AlertLane {
  /** Alert name plus its labels: two services' ServiceDown are two lanes. */
  key: string;
  alert: string;
  labels: Labels;
  spans: AlertSpan[];
  resolvedAt: number[];
}
export type ProcessEvent = EventOf<'process-exit'> | EventOf<'process-start'>;

export interface PlotModel {
  start: number;
  end: number;
  /** The first fault's start: where MTTD/MTTR count from. */
  origin: number | null;
  load: LoadWindow[];
  faults: FaultWindow[];
  alerts: AlertLane[];
  notifications: Map<string, EventOf<'notification'>[]>;
  remediations: EventOf<'remediation'>[];
  processes: Map<string, ProcessEvent[]>;
}

export function plotModel(timeline: readonly TimelineEvent[]): PlotModel {
  const events = [...timeline].sort((a, b) => a.t - b.t);
  const start = Math.min(0, ...events.map((e) => e.t));
  const end = Math.max(start, ...events.map((e) => e.t));
  const model: PlotModel = {
    start,
    end,
    origin: events.find((e) => e.kind === 'fault-start')?.t ?? null,
    load: [],
    faults: [],
    alerts: [],
    notifications: new Map(),
    remediations: [],
    processes: new Map(),
  };
  const openLoad: LoadWindow[] = [];
  const lanes = new Map<string, AlertLane>();

  for (const e of events) {
    switch (e.kind) {
      case 'load-start': {
        // Until load-end arrives, the planned duration is the best guess of where it stops.
        const w: LoadWindow = { start: e.t, end: Math.min(end, e.t + e.durationSeconds), open: true, rate: e.rate, sent: null, failed: null };
        model.load.push(w);
        openLoad.push(w);
        break;
      }
      case 'load-end': {
        const w = openLoad.shift();
        if (w) Object.assign(w, { end: e.t, open: false, sent: e.sent, failed: e.failed });
        break;
      }
      case 'fault-start':
        model.faults.push({ id: e.id, fault: e.fault, service: e.service, start: e.t, end, open: true, reason: null });
        break;
      case 'fault-end': {
        const w = model.faults.find((f) => f.id === e.id && f.open);
        if (w) Object.assign(w, { end: e.t, open: false, reason: e.reason });
        // A fault-end without its start (injected before the timeline began) still shows its window.
        else model.faults.push({ id: e.id, fault: e.fault, service: e.service, start, end: e.t, open: false, reason: e.reason });
        break;
      }
      case 'alert-pending':
      case 'alert-firing':
      case 'alert-resolved': {
        const lane = laneFor(lanes, e.alert, e.labels);
        const current = lane.spans.at(-1);
        const isOpen = current?.open === true;
        if (e.kind === 'alert-resolved') {
          if (isOpen) Object.assign(current, { end: e.t, open: false });
          lane.resolvedAt.push(e.t);
          break;
        }
        const state = e.kind === 'alert-pending' ? 'pending' : 'firing';
        if (isOpen && current.state === state) break; // the watcher saw the same state again
        if (isOpen) Object.assign(current, { end: e.t, open: false });
        lane.spans.push({ state, start: e.t, end, open: true });
        break;
      }
      case 'notification':
        push(model.notifications, e.receiver, e);
        break;
      case 'remediation':
        model.remediations.push(e);
        break;
      case 'process-exit':
      case 'process-start':
        push(model.processes, e.service, e);
        break;
      case 'scenario-start':
      case 'scenario-end':
        break;
    }
  }
  model.alerts = [...lanes.values()];
  return model;
}

function laneFor(lanes: Map<string, AlertLane>, alert: string, labels: Labels): AlertLane {
  const key = `${alert}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
  let lane = lanes.get(key);
  if (!lane) {
    lane = { key, alert, labels, spans: [], resolvedAt: [] };
    lanes.set(key, lane);
  }
  return lane;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
