import type { TimelineRecorder } from '../timeline.ts';
import { startPolling } from './poller.ts';

/**
 * Observers for Loki and Tempo (`logs`, `trace`, `correlation` expectations). Each polls its
 * backend and records what it found on the timeline; the verdict reads only the timeline.
 * Queries cover the whole scenario from `fromMs` (the scenario's start, wall clock).
 */

export interface Stoppable {
  stop(): Promise<void>;
}

/** The exemplar series the sample services emit (docs/contracts.md, "Telemetry"). */
export const EXEMPLAR_METRIC = 'http_server_request_duration_seconds_bucket';
/** Loki's label for OTLP service.name; every line a sample service ships has it. */
export const CORRELATION_LOG_QUERY = '{service_name=~".+"}';

class HttpError extends Error {}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new HttpError(`HTTP ${res.status}${await res.text().then((t) => (t.trim() ? `: ${t.trim().slice(0, 200)}` : ''), () => '')}`);
  return (await res.json()) as T;
}

interface LokiStream {
  stream: Record<string, string>;
  /** [ns timestamp, line] or, with categorize-labels, [ns, line, { structuredMetadata?, parsed? }]. */
  values: ([string, string] | [string, string, { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> }])[];
}
interface LokiResponse {
  status: string;
  data: { resultType: string; result: LokiStream[] };
}

/** GET /loki/api/v1/query_range for a log query, from `fromMs` to now (nanosecond epochs). */
export async function queryLoki(lokiUrl: string, query: string, fromMs: number, limit = 1000): Promise<LokiStream[]> {
  const params = new URLSearchParams({
    query,
    start: `${BigInt(Math.floor(fromMs)) * 1_000_000n}`,
    end: `${BigInt(Date.now() + 1000) * 1_000_000n}`,
    limit: String(limit),
    direction: 'backward',
  });
  const body = await getJson<LokiResponse>(`${lokiUrl}/loki/api/v1/query_range?${params}`, {
    // Structured metadata (trace_id of OTLP logs) in its own map instead of mixed into the stream labels.
    'X-Loki-Response-Encoding-Flags': 'categorize-labels',
  });
  if (body.data.resultType !== 'streams') throw new Error(`expected a log query (streams), got a ${body.data.resultType} result`);
  return body.data.result;
}

/** The trace_id of a log entry: structured metadata, a stream label, or the JSON line's field. */
export function traceIdOfLogEntry(stream: Record<string, string>, value: LokiStream['values'][number]): string | null {
  const meta = value[2]?.structuredMetadata?.trace_id ?? value[2]?.parsed?.trace_id ?? stream.trace_id;
  if (meta) return meta;
  try {
    const line = JSON.parse(value[1]) as { trace_id?: unknown };
    return typeof line.trace_id === 'string' && line.trace_id ? line.trace_id : null;
  } catch {
    return null;
  }
}

/** Records a log-match event whenever the number of lines matching `query` grows. */
export function observeLogs(lokiUrl: string, query: string, fromMs: number, timeline: TimelineRecorder, intervalMs = 1000): Stoppable {
  let lines = 0;
  let refused = false;
  return startPolling(async () => {
    try {
      const streams = await queryLoki(lokiUrl, query, fromMs);
      const n = streams.reduce((sum, s) => sum + s.values.length, 0);
      if (n > lines) {
        lines = n;
        timeline.record({ kind: 'log-match', query, lines: n });
      }
    } catch (e) {
      if (!refused && e instanceof HttpError && /HTTP 4\d\d/.test(e.message)) {
        refused = true;
        timeline.record({ kind: 'query-error', backend: 'loki', query, message: e.message });
      }
      throw e;
    }
  }, intervalMs);
}

interface TempoSearch {
  traces?: { traceID: string }[];
}

/** GET /api/search?q=<TraceQL>&start&end (unix seconds): the trace IDs found. */
export async function searchTempo(tempoUrl: string, traceql: string, fromMs: number, limit = 20): Promise<string[]> {
  const params = new URLSearchParams({
    q: traceql,
    start: String(Math.floor(fromMs / 1000)),
    end: String(Math.ceil(Date.now() / 1000) + 1),
    limit: String(limit),
  });
  const body = await getJson<TempoSearch>(`${tempoUrl}/api/search?${params}`);
  return (body.traces ?? []).map((t) => t.traceID).filter(Boolean);
}

/** Records trace-found once Tempo's search returns a trace for `traceql`, then stops querying. */
export function observeTrace(tempoUrl: string, traceql: string, fromMs: number, timeline: TimelineRecorder, intervalMs = 1000): Stoppable {
  let found = false;
  let refused = false;
  return startPolling(async () => {
    if (found) return;
    try {
      const ids = await searchTempo(tempoUrl, traceql, fromMs);
      if (ids.length > 0) {
        found = true;
        timeline.record({ kind: 'trace-found', query: traceql, traceId: ids[0]! });
      }
    } catch (e) {
      if (!refused && e instanceof HttpError && /HTTP 4\d\d/.test(e.message)) {
        refused = true;
        timeline.record({ kind: 'query-error', backend: 'tempo', query: traceql, message: e.message });
      }
      throw e;
    }
  }, intervalMs);
}

/** Spans in a trace-by-ID answer, in either OTLP JSON form (`resourceSpans` or the older `batches`), v2 wrapping it in `trace`. */
function spanCount(body: unknown): number {
  const root = ((body as { trace?: unknown })?.trace ?? body) as { resourceSpans?: unknown[]; batches?: unknown[] };
  const resources = (root?.resourceSpans ?? root?.batches ?? []) as { scopeSpans?: { spans?: unknown[] }[]; instrumentationLibrarySpans?: { spans?: unknown[] }[] }[];
  return resources.reduce((n, r) => n + [...(r.scopeSpans ?? []), ...(r.instrumentationLibrarySpans ?? [])].reduce((m, s) => m + (s.spans?.length ?? 0), 0), 0);
}

/** Does `traceId` resolve in Tempo (`/api/v2/traces/<id>` answers 200 with spans)? null when it does, else why not. */
export async function traceProblem(tempoUrl: string, traceId: string): Promise<string | null> {
  const res = await fetch(`${tempoUrl}/api/v2/traces/${encodeURIComponent(traceId)}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
  if (!res.ok) {
    await res.body?.cancel();
    return `trace ${traceId} not found in Tempo (HTTP ${res.status})`;
  }
  const spans = spanCount(await res.json().catch(() => null));
  return spans > 0 ? null : `trace ${traceId}: Tempo answered without spans`;
}

interface ExemplarResponse {
  data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[];
}

/** trace_ids of exemplars on the request-duration histogram since `fromMs`, newest first. */
export async function exemplarTraceIds(prometheusUrl: string, fromMs: number): Promise<string[]> {
  const params = new URLSearchParams({ query: EXEMPLAR_METRIC, start: String(fromMs / 1000), end: String(Date.now() / 1000 + 1) });
  const body = await getJson<ExemplarResponse>(`${prometheusUrl}/api/v1/query_exemplars?${params}`);
  const all = (body.data ?? []).flatMap((s) => s.exemplars.map((x) => ({ id: x.labels.trace_id, at: x.timestamp })));
  return [...new Set(all.filter((x): x is { id: string; at: number } => Boolean(x.id)).sort((a, b) => b.at - a.at).map((x) => x.id))];
}

/** trace_ids on log lines since `fromMs`, newest first. */
export async function logTraceIds(lokiUrl: string, fromMs: number, query = CORRELATION_LOG_QUERY): Promise<string[]> {
  const streams = await queryLoki(lokiUrl, query, fromMs, 200);
  const entries = streams.flatMap((s) => s.values.map((v) => ({ id: traceIdOfLogEntry(s.stream, v), ns: BigInt(v[0]) })));
  entries.sort((a, b) => (a.ns < b.ns ? 1 : a.ns > b.ns ? -1 : 0));
  return [...new Set(entries.map((e) => e.id).filter((id): id is string => Boolean(id)))];
}

/**
 * The `correlation` expectation: a trace_id from a Prometheus exemplar, and one from a Loki log
 * line, each resolve in Tempo. A link that resolves is recorded once; one that never did is
 * recorded as failed with the last reason when the observer stops.
 */
export function observeCorrelation(
  urls: { prometheus: string; loki: string; tempo: string },
  fromMs: number,
  timeline: TimelineRecorder,
  intervalMs = 1000,
): Stoppable {
  const state = {
    exemplars: { done: false, reason: 'not checked yet' },
    logs: { done: false, reason: 'not checked yet' },
  };
  const check = async (link: 'exemplars' | 'logs') => {
    const s = state[link];
    if (s.done) return;
    let ids: string[];
    try {
      ids = link === 'exemplars' ? await exemplarTraceIds(urls.prometheus, fromMs) : await logTraceIds(urls.loki, fromMs);
    } catch (e) {
      s.reason = link === 'exemplars' ? `Prometheus exemplar query failed: ${(e as Error).message}` : `Loki query ${CORRELATION_LOG_QUERY} failed: ${(e as Error).message}`;
      return;
    }
    if (ids.length === 0) {
      s.reason =
        link === 'exemplars'
          ? `Prometheus has no exemplar with a trace_id on ${EXEMPLAR_METRIC}`
          : `no Loki line since the scenario start carries a trace_id (structured metadata or JSON field)`;
      return;
    }
    const reasons: string[] = [];
    for (const id of ids.slice(0, 3)) {
      const problem = await traceProblem(urls.tempo, id).catch((e: Error) => `Tempo did not answer for ${id}: ${e.message}`);
      if (problem === null) {
        s.done = true;
        timeline.record({ kind: 'correlation-link', link, resolved: true, traceId: id, reason: 'resolves in Tempo' });
        return;
      }
      reasons.push(problem);
    }
    s.reason = reasons.join('; ');
  };
  const poller = startPolling(async () => {
    await Promise.all([check('exemplars'), check('logs')]);
  }, intervalMs);
  return {
    async stop() {
      await poller.stop();
      for (const link of ['exemplars', 'logs'] as const) {
        if (!state[link].done) timeline.record({ kind: 'correlation-link', link, resolved: false, traceId: null, reason: state[link].reason });
      }
    },
  };
}
