/**
 * The scenario timeline: one discriminated union of events. Every time metric and every
 * reporter reads only this log, so what a report says is exactly what was observed.
 */
export type Labels = Readonly<Record<string, string>>;

export type FaultEndReason = 'expired' | 'cleared' | 'remediated' | 'scenario-end';

export type TimelineEventBody =
  | { kind: 'scenario-start'; scenario: string }
  | { kind: 'load-start'; rate: number; durationSeconds: number }
  | { kind: 'load-end'; sent: number; failed: number }
  /** `params`: the fault's parameters as the scenario gave them (absent in older reports). */
  | { kind: 'fault-start'; fault: string; service: string; id: string; params?: Readonly<Record<string, unknown>> }
  | { kind: 'fault-end'; fault: string; service: string; id: string; reason: FaultEndReason }
  | { kind: 'alert-pending'; alert: string; labels: Labels }
  | { kind: 'alert-firing'; alert: string; labels: Labels }
  | { kind: 'alert-resolved'; alert: string; labels: Labels }
  /**
   * Attached stacks: an alert that is not the scenario's to judge, recorded once when first
   * seen: already firing when the scenario started, or not about the sandbox's services (a
   * team's Watchdog). Its transitions are not recorded as alert-* events.
   */
  | { kind: 'background-alert'; alert: string; labels: Labels; state: 'pending' | 'firing'; reason: 'firing-before-start' | 'not-about-sandbox' }
  | { kind: 'notification'; receiver: string; alert: string; status: 'firing' | 'resolved' }
  | {
      kind: 'remediation';
      action: string;
      service: string;
      alert: string;
      result: 'started' | 'succeeded' | 'failed' | 'skipped' | 'dry-run';
    }
  | { kind: 'process-exit'; service: string; code: number | null; signal: string | null }
  | { kind: 'process-start'; service: string; restarts: number }
  | { kind: 'slo-budget'; slo: string; errorRatio: number; budgetBurned: number }
  /** Loki returned `lines` lines for a `logs` expectation's query (recorded when the count grows). */
  | { kind: 'log-match'; query: string; lines: number }
  /** Tempo's search found a trace for a `trace` expectation's TraceQL query. */
  | { kind: 'trace-found'; query: string; traceId: string }
  /**
   * Loki or Tempo answered a `logs` or `trace` query with data stamped before the scenario start
   * (recorded once per query): not counted. `newestAt`: the newest such item's own time.
   */
  | { kind: 'stale-data'; backend: 'loki' | 'tempo'; query: string; count: number; newestAt: string | null }
  /** One link of `correlation`: a trace_id from Prometheus exemplars or a Loki line, looked up in Tempo. */
  | { kind: 'correlation-link'; link: CorrelationLink; resolved: boolean; traceId: string | null; reason: string }
  /**
   * A backend refused a query the scenario asked (bad LogQL or TraceQL, HTTP error), or, for
   * grafana, a fault-window annotation could not be written: a warning that never fails a scenario.
   */
  | { kind: 'query-error'; backend: 'loki' | 'tempo' | 'prometheus' | 'grafana'; query: string; message: string }
  | { kind: 'scenario-end' };

/** exemplars: Prometheus exemplar → Tempo trace; logs: Loki line's trace_id → Tempo trace. */
export type CorrelationLink = 'exemplars' | 'logs';

export type TimelineEventKind = TimelineEventBody['kind'];

/** `t`: seconds since the scenario started (monotonic clock); `at`: UTC wall time. */
export type TimelineEvent = TimelineEventBody & { t: number; at: string; detail: string };

export type EventOf<K extends TimelineEventKind> = Extract<TimelineEvent, { kind: K }>;

/** One-line human description of an event, shared by every reporter. */
export function describe(e: TimelineEventBody): string {
  switch (e.kind) {
    case 'scenario-start':
      return `scenario ${e.scenario} started`;
    case 'load-start':
      return `load started at ${e.rate} req/s for ${e.durationSeconds}s`;
    case 'load-end':
      return `load ended: ${e.sent} requests sent, ${e.failed} failed`;
    case 'fault-start':
      return `${e.fault} on ${e.service}`;
    case 'fault-end':
      return `${e.fault} on ${e.service} ended (${e.reason})`;
    case 'alert-pending':
      return `${e.alert} pending${labelText(e.labels)}`;
    case 'alert-firing':
      return `${e.alert} firing${labelText(e.labels)}`;
    case 'alert-resolved':
      return `${e.alert} resolved${labelText(e.labels)}`;
    case 'background-alert':
      return `${e.alert} ${e.state}${labelText(e.labels)} in the background (${e.reason === 'firing-before-start' ? 'already firing before the scenario started' : 'not about the sandbox’s services'}): not judged`;
    case 'notification':
      return `${e.receiver} received ${e.alert} (${e.status})`;
    case 'remediation':
      return `${e.action} ${e.service} for ${e.alert}: ${e.result}`;
    case 'process-exit':
      return `${e.service} exited (${e.signal ?? `code ${e.code}`})`;
    case 'process-start':
      return `${e.service} started (restarts: ${e.restarts})`;
    case 'slo-budget':
      return `SLO ${e.slo}: ${(e.budgetBurned * 100).toFixed(1)}% of the error budget burned (error ratio ${(e.errorRatio * 100).toFixed(2)}%)`;
    case 'log-match':
      return `Loki: ${e.lines} line${e.lines === 1 ? '' : 's'} match ${e.query}`;
    case 'trace-found':
      return `Tempo: trace ${e.traceId} matches ${e.query}`;
    case 'stale-data':
      return `${e.backend === 'loki' ? 'Loki' : 'Tempo'} returned ${e.count} result${e.count === 1 ? '' : 's'} from before the scenario started${e.newestAt ? ` (newest at ${e.newestAt})` : ''} for ${e.query}: not counted`;
    case 'correlation-link':
      return `${e.link === 'exemplars' ? 'exemplar → trace' : 'log line → trace'}: ${e.resolved ? `trace ${e.traceId} resolves in Tempo` : `failed: ${e.reason}`}`;
    case 'query-error':
      return `${e.backend} refused ${e.query}: ${e.message}`;
    case 'scenario-end':
      return 'scenario ended';
  }
}

function labelText(labels: Labels): string {
  const keys = ['service'].filter((k) => labels[k]);
  return keys.length ? ` {${keys.map((k) => `${k}="${labels[k]}"`).join(', ')}}` : '';
}

/** Builds events against one monotonic origin. */
export class TimelineRecorder {
  readonly events: TimelineEvent[] = [];
  private readonly listeners = new Set<(event: TimelineEvent) => void>();
  private readonly originMono = performance.now();
  private readonly originWall = Date.now();

  /** Record an event now, or at an earlier wall-clock time observed elsewhere (e.g. a receiver). */
  record(body: TimelineEventBody, wallTimeMs?: number): TimelineEvent {
    const t =
      wallTimeMs === undefined
        ? (performance.now() - this.originMono) / 1000
        : (wallTimeMs - this.originWall) / 1000;
    const event = {
      ...body,
      t: Math.round(t * 1000) / 1000,
      at: new Date(this.originWall + t * 1000).toISOString(),
      detail: describe(body),
    } as TimelineEvent;
    this.events.push(event);
    this.events.sort((a, b) => a.t - b.t);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /**
   * Call `listener` with every event recorded from now on, as it is recorded (a consumer that
   * acts on events as they happen, e.g. the Grafana annotator). Returns the unsubscribe function.
   * A listener must not throw: it runs inside record().
   */
  subscribe(listener: (event: TimelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Seconds since the scenario started. */
  now(): number {
    return (performance.now() - this.originMono) / 1000;
  }
}
