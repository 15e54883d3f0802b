import type { TimelineRecorder } from '../timeline.ts';
import { startPolling } from './poller.ts';

/**
 * Observers for Loki and Tempo (`logs`, `trace`, `correlation` expectations). Each polls its
 * backend and records what it found on the timeline; the verdict reads only the timeline.
 * Queries cover the whole scenario from `fromMs` (the scenario's start, wall clock).
 *
 * Only data produced since `fromMs` counts, judged on each item's own timestamp (a log line's,
 * a matched span's, an exemplar's), never on the window a backend says it searched: Tempo 3.0
 * clamps a search's end to now − query_end_cutoff (default 30s) and, when the start then falls
 * after the end, searches from now − 15m instead (pkg/api/http.go ClampDateRangeReq), which put
 * an earlier run's traces into the first half minute of every scenario. What a backend returns
 * from before the start is recorded once as `stale-data` and not counted.
 */

export interface Stoppable {
  stop(): Promise<void>;
}

/** The exemplar series the sample services emit (docs/contracts.md, "Telemetry"). */
export const EXEMPLAR_METRIC = 'http_server_request_duration_seconds_bucket';
/** Loki's label for OTLP service.name; every line a sample service ships has it. */
export const CORRELATION_LOG_QUERY = '{service_name=~".+"}';

class HttpError extends Error {}

/** Nanoseconds since the epoch of a wall time in milliseconds. */
const nsOf = (ms: number): bigint => BigInt(Math.floor(ms)) * 1_000_000n;
const isoOfNs = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** What a backend returned from before the scenario start: how many, and the newest (ns). */
export interface Stale {
  count: number;
  newestNs: bigint | null;
}
const noStale = (): Stale => ({ count: 0, newestNs: null });
function addStale(stale: Stale, ns: bigint | null): void {
  stale.count++;
  if (ns !== null && (stale.newestNs === null || ns > stale.newestNs)) stale.newestNs = ns;
}
/** "(3 from before the start, newest at <iso>: not counted)", or '' when there were none. */
export function staleText(stale: Stale): string {
  if (stale.count === 0) return '';
  return ` (${stale.count} from before the start${stale.newestNs !== null ? `, newest at ${isoOfNs(stale.newestNs)}` : ''}: not counted)`;
}

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

/**
 * Records a log-match event whenever the number of lines matching `query` stamped at or after
 * `fromMs` grows; lines stamped earlier are recorded once as stale-data.
 */
export function observeLogs(lokiUrl: string, query: string, fromMs: number, timeline: TimelineRecorder, intervalMs = 1000): Stoppable {
  let lines = 0;
  let refused = false;
  let staleRecorded = false;
  const from = nsOf(fromMs);
  return startPolling(async () => {
    try {
      const streams = await queryLoki(lokiUrl, query, fromMs);
      const stale = noStale();
      let n = 0;
      for (const v of streams.flatMap((s) => s.values)) {
        const ns = BigInt(v[0]);
        if (ns >= from) n++;
        else addStale(stale, ns);
      }
      if (stale.count > 0 && !staleRecorded) {
        staleRecorded = true;
        timeline.record({ kind: 'stale-data', backend: 'loki', query, count: stale.count, newestAt: isoOfNs(stale.newestNs!) });
      }
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

/** Tempo's search answer (docs/sources/tempo/api_docs: "Search"); times are ns epochs as strings. */
interface TempoSearchTrace {
  traceID: string;
  startTimeUnixNano?: string;
  spanSet?: { spans?: { startTimeUnixNano?: string }[] };
  spanSets?: { spans?: { startTimeUnixNano?: string }[] }[];
}
interface TempoSearch {
  traces?: TempoSearchTrace[];
}

/**
 * When a search hit happened: its latest matched span's start, else the trace's start; null
 * when the answer carries neither (then it cannot be shown to be the scenario's).
 */
function hitTimeNs(t: TempoSearchTrace): bigint | null {
  const spans = [...(t.spanSets ?? []), ...(t.spanSet ? [t.spanSet] : [])].flatMap((s) => s.spans ?? []);
  const times = (spans.length > 0 ? spans.map((s) => s.startTimeUnixNano) : [t.startTimeUnixNano]).filter((x): x is string => typeof x === 'string' && /^\d+$/.test(x));
  return times.length === 0 ? null : times.map((x) => BigInt(x)).reduce((a, b) => (b > a ? b : a));
}

/**
 * GET /api/search?q=<TraceQL>&start&end (unix seconds): the IDs of traces whose match happened
 * at or after `fromMs`, and what was returned from before it.
 */
export async function searchTempo(tempoUrl: string, traceql: string, fromMs: number, limit = 20): Promise<{ ids: string[]; stale: Stale }> {
  const params = new URLSearchParams({
    q: traceql,
    start: String(Math.floor(fromMs / 1000)),
    end: String(Math.ceil(Date.now() / 1000) + 1),
    limit: String(limit),
  });
  const body = await getJson<TempoSearch>(`${tempoUrl}/api/search?${params}`);
  const from = nsOf(fromMs);
  const ids: string[] = [];
  const stale = noStale();
  for (const t of body.traces ?? []) {
    if (!t.traceID) continue;
    const at = hitTimeNs(t);
    if (at !== null && at >= from) ids.push(t.traceID);
    else addStale(stale, at);
  }
  return { ids, stale };
}

/**
 * Records trace-found once Tempo's search returns a trace for `traceql` that happened since
 * `fromMs`, then stops querying; hits from before are recorded once as stale-data.
 */
export function observeTrace(tempoUrl: string, traceql: string, fromMs: number, timeline: TimelineRecorder, intervalMs = 1000): Stoppable {
  let found = false;
  let refused = false;
  let staleRecorded = false;
  return startPolling(async () => {
    if (found) return;
    try {
      const { ids, stale } = await searchTempo(tempoUrl, traceql, fromMs);
      if (stale.count > 0 && !staleRecorded) {
        staleRecorded = true;
        timeline.record({ kind: 'stale-data', backend: 'tempo', query: traceql, count: stale.count, newestAt: stale.newestNs === null ? null : isoOfNs(stale.newestNs) });
      }
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

/** trace_ids found since `fromMs`, newest first, and those stamped before it. */
export interface DatedTraceIds {
  ids: string[];
  stale: Stale;
}

/** Newest first, each trace_id once; entries stamped before `from` (ns) only counted as stale. */
function splitByTime(entries: { id: string | null | undefined; ns: bigint }[], from: bigint): DatedTraceIds {
  const withId = entries.filter((e): e is { id: string; ns: bigint } => Boolean(e.id)).sort((a, b) => (a.ns < b.ns ? 1 : a.ns > b.ns ? -1 : 0));
  const stale = noStale();
  for (const e of withId) if (e.ns < from) addStale(stale, e.ns);
  return { ids: [...new Set(withId.filter((e) => e.ns >= from).map((e) => e.id))], stale };
}

/** trace_ids of exemplars on the request-duration histogram, by the exemplars' own timestamps. */
export async function exemplarTraceIds(prometheusUrl: string, fromMs: number): Promise<DatedTraceIds> {
  const params = new URLSearchParams({ query: EXEMPLAR_METRIC, start: String(fromMs / 1000), end: String(Date.now() / 1000 + 1) });
  const body = await getJson<ExemplarResponse>(`${prometheusUrl}/api/v1/query_exemplars?${params}`);
  // Exemplar timestamps are float seconds; to ns through ms, as the scenario start is.
  const all = (body.data ?? []).flatMap((s) => s.exemplars.map((x) => ({ id: x.labels.trace_id, ns: nsOf(Math.round(x.timestamp * 1000)) })));
  return splitByTime(all, nsOf(fromMs));
}

/** trace_ids on log lines, by the lines' own timestamps. */
export async function logTraceIds(lokiUrl: string, fromMs: number, query = CORRELATION_LOG_QUERY): Promise<DatedTraceIds> {
  const streams = await queryLoki(lokiUrl, query, fromMs, 200);
  return splitByTime(
    streams.flatMap((s) => s.values.map((v) => ({ id: traceIdOfLogEntry(s.stream, v), ns: BigInt(v[0]) }))),
    nsOf(fromMs),
  );
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
    let stale: Stale;
    try {
      ({ ids, stale } = link === 'exemplars' ? await exemplarTraceIds(urls.prometheus, fromMs) : await logTraceIds(urls.loki, fromMs));
    } catch (e) {
      s.reason = link === 'exemplars' ? `Prometheus exemplar query failed: ${(e as Error).message}` : `Loki query ${CORRELATION_LOG_QUERY} failed: ${(e as Error).message}`;
      return;
    }
    if (ids.length === 0) {
      s.reason =
        stale.count > 0
          ? `${link === 'exemplars' ? `no exemplar on ${EXEMPLAR_METRIC}` : 'no Loki line'} since the scenario start carries a trace_id${staleText(stale)}`
          : link === 'exemplars'
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
