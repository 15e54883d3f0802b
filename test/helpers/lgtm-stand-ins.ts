import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stand-ins for Tempo, Loki and Prometheus' exemplar API, for tests of the LGTM observers. Loki
 * and Tempo cannot run on these machines (no binaries, no image registry), so these small HTTP
 * servers answer with the documented shapes instead. Each item carries its own timestamp, as the
 * real backends' answers do.
 *
 * Tempo's search window is modelled on Tempo 3.0.3's query frontend, since that is what made
 * stale traces count (issue 17): `ClampDateRangeReq` (pkg/api/http.go) clamps `end` to
 * now − query_end_cutoff (default 30s, modules/frontend/config.go) and, when `start` then falls
 * after `end`, resets `start` to now − query_backend_after (default 15m). Loki and Prometheus
 * honour `start` themselves; these stand-ins answer with everything they hold (`honourStart:
 * false`) to prove that the observers judge data by its own timestamps, whatever the backend's
 * window does.
 */
export interface StoredTrace {
  traceId: string;
  /** Wall time (ms) of the matching span's start. */
  startMs: number;
  durationMs?: number;
}
export interface StoredLine {
  atMs: number;
  line: string;
  traceId?: string;
}
export interface StoredExemplar {
  atMs: number;
  traceId: string;
}

export interface LgtmStandIn {
  url: string;
  traces: StoredTrace[];
  lines: StoredLine[];
  exemplars: StoredExemplar[];
  /** Tempo's query_frontend.query_end_cutoff in seconds (3.0 default 30; compose/tempo/tempo.yaml sets 0). */
  tempoQueryEndCutoffSeconds: number;
  /** The search windows Tempo used after clamping, newest last (unix seconds). */
  tempoWindows: { start: number; end: number }[];
  close(): Promise<void>;
}

const QUERY_BACKEND_AFTER_SECONDS = 15 * 60;
const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

export async function startLgtmStandIn(options: { tempoQueryEndCutoffSeconds?: number } = {}): Promise<LgtmStandIn> {
  const state: Omit<LgtmStandIn, 'url' | 'close'> = {
    traces: [],
    lines: [],
    exemplars: [],
    tempoQueryEndCutoffSeconds: options.tempoQueryEndCutoffSeconds ?? 30,
    tempoWindows: [],
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/api/search') {
      // Tempo 3.0.3 ClampDateRangeReq, both start and end given (what the observer sends).
      const now = Date.now() / 1000;
      let start = Number(u.searchParams.get('start'));
      let end = Number(u.searchParams.get('end'));
      const maxEnd = now - state.tempoQueryEndCutoffSeconds;
      if (maxEnd < end) {
        end = maxEnd;
        if (start > end) start = now - QUERY_BACKEND_AFTER_SECONDS;
      }
      state.tempoWindows.push({ start, end });
      const hits = state.traces.filter((t) => t.startMs / 1000 <= end && (t.startMs + (t.durationMs ?? 5)) / 1000 >= start);
      return json(200, {
        traces: hits.map((t) => ({
          traceID: t.traceId,
          rootServiceName: 'api-gateway',
          rootTraceName: 'POST /predict',
          startTimeUnixNano: ns(t.startMs),
          durationMs: t.durationMs ?? 5,
          spanSets: [{ spans: [{ spanID: '00f067aa0ba902b7', startTimeUnixNano: ns(t.startMs), durationNanos: '5000000' }], matched: 1 }],
        })),
        metrics: { totalBlocks: 1 },
      });
    }
    const byId = /^\/api\/v2\/traces\/([0-9a-f]+)$/.exec(u.pathname);
    if (byId) {
      const t = state.traces.find((x) => x.traceId === byId[1]);
      if (!t) return json(404, 'trace not found');
      return json(200, {
        trace: { resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [{ traceId: t.traceId, spanId: '00f067aa0ba902b7', name: 'POST /predict', startTimeUnixNano: ns(t.startMs) }] }] }] },
      });
    }
    if (u.pathname === '/loki/api/v1/query_range') {
      const values = [...state.lines].sort((a, b) => b.atMs - a.atMs).map((l) => [ns(l.atMs), l.line, l.traceId ? { structuredMetadata: { trace_id: l.traceId } } : {}]);
      return json(200, { status: 'success', data: { resultType: 'streams', result: values.length ? [{ stream: { service_name: 'ml-service' }, values }] : [] } });
    }
    if (u.pathname === '/api/v1/query_exemplars') {
      return json(200, {
        status: 'success',
        data: state.exemplars.length
          ? [
              {
                seriesLabels: { __name__: 'http_server_request_duration_seconds_bucket', service: 'api-gateway' },
                exemplars: state.exemplars.map((x) => ({ labels: { trace_id: x.traceId }, value: '0.1', timestamp: x.atMs / 1000 })),
              },
            ]
          : [],
      });
    }
    json(404, 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const standIn = state as LgtmStandIn;
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.close = () => new Promise<void>((r) => server.close(() => r()));
  return standIn;
}
