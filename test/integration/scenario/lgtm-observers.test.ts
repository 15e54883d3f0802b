import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeCorrelation, observeLogs, observeTrace } from '../../../scripts/scenario/observers/lgtm.ts';
import { TimelineRecorder, type TimelineEvent } from '../../../scripts/scenario/timeline.ts';

/**
 * The Loki, Tempo and exemplar observers against small HTTP servers that answer with the
 * documented response shapes (Loki query_range streams with categorize-labels, Tempo /api/search
 * `traces[].traceID` and /api/v2/traces/<id>, Prometheus /api/v1/query_exemplars). These are
 * stand-ins only because Loki and Tempo cannot run on these machines (no binaries, no Docker);
 * the requests the observers send are asserted as they arrive.
 */
interface Seen {
  path: string;
  params: URLSearchParams;
  headers: IncomingMessage['headers'];
}
const seen: Seen[] = [];
const state = {
  lokiLines: [] as { line: string; traceId?: string }[],
  lokiStatus: 200,
  tempoTraces: [] as string[],
  tempoStatus: 200,
  tempoKnown: new Set<string>(),
  exemplarIds: [] as string[],
};
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    seen.push({ path: u.pathname, params: u.searchParams, headers: req.headers });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (u.pathname === '/loki/api/v1/query_range') {
      if (state.lokiStatus !== 200) return json(state.lokiStatus, 'parse error : syntax error: unexpected IDENTIFIER');
      const ns = BigInt(Date.now()) * 1_000_000n;
      return json(200, {
        status: 'success',
        data: {
          resultType: 'streams',
          result: [
            {
              stream: { service_name: 'ml-service' },
              values: state.lokiLines.map((l, i) => [String(ns - BigInt(i)), l.line, l.traceId ? { structuredMetadata: { trace_id: l.traceId } } : {}]),
            },
          ],
        },
      });
    }
    if (u.pathname === '/api/search') {
      if (state.tempoStatus !== 200) return json(state.tempoStatus, 'invalid TraceQL query: parse error');
      // Stamped now: hits from before the scenario start are not counted (lgtm-stale-data.test.ts).
      const now = `${BigInt(Date.now()) * 1_000_000n}`;
      return json(200, { traces: state.tempoTraces.map((id) => ({ traceID: id, rootServiceName: 'api-gateway', rootTraceName: 'POST /predict', startTimeUnixNano: now, durationMs: 5 })), metrics: {} });
    }
    const trace = /^\/api\/v2\/traces\/([0-9a-f]+)$/.exec(u.pathname);
    if (trace) {
      if (!state.tempoKnown.has(trace[1]!)) return json(404, 'trace not found');
      return json(200, { trace: { resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [{ traceId: trace[1], spanId: '01', name: 'POST /predict' }] }] }] } });
    }
    if (u.pathname === '/api/v1/query_exemplars') {
      return json(200, {
        status: 'success',
        data: state.exemplarIds.length
          ? [{ seriesLabels: { __name__: 'http_server_request_duration_seconds_bucket', service: 'api-gateway' }, exemplars: state.exemplarIds.map((id, i) => ({ labels: { trace_id: id }, value: '0.1', timestamp: Date.now() / 1000 - i })) }]
          : [],
      });
    }
    json(404, 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const reset = () => {
  seen.length = 0;
  Object.assign(state, { lokiLines: [], lokiStatus: 200, tempoTraces: [], tempoStatus: 200, tempoKnown: new Set(), exemplarIds: [] });
};
async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
const kinds = (tl: TimelineRecorder, k: TimelineEvent['kind']) => tl.events.filter((e) => e.kind === k);

describe('logs observer (Loki query_range)', () => {
  it('records matches as lines arrive, sending the query over the scenario range with categorize-labels', async () => {
    reset();
    const tl = new TimelineRecorder();
    const from = Date.now() - 5000;
    const query = '{service_name="ml-service"} |= "error"';
    const obs = observeLogs(url, query, from, tl, 50);
    await until(() => seen.some((s) => s.path === '/loki/api/v1/query_range'));
    expect(kinds(tl, 'log-match')).toEqual([]);
    state.lokiLines = [{ line: '{"level":"error","msg":"boom"}' }, { line: '{"level":"error","msg":"boom"}' }];
    await until(() => kinds(tl, 'log-match').length > 0);
    await obs.stop();
    expect(kinds(tl, 'log-match').at(-1)).toMatchObject({ query, lines: 2 });
    const req = seen.find((s) => s.path === '/loki/api/v1/query_range')!;
    expect(req.params.get('query')).toBe(query);
    expect(req.params.get('start')).toBe(`${BigInt(from) * 1_000_000n}`);
    expect(BigInt(req.params.get('end')!)).toBeGreaterThan(BigInt(from) * 1_000_000n);
    expect(req.headers['x-loki-response-encoding-flags']).toBe('categorize-labels');
  });

  it('records nothing when no line matches, and a query-error when Loki refuses the query', async () => {
    reset();
    const tl = new TimelineRecorder();
    const obs = observeLogs(url, '{service_name="ml-service"}', Date.now(), tl, 50);
    await until(() => seen.length >= 2);
    await obs.stop();
    expect(kinds(tl, 'log-match')).toEqual([]);
    state.lokiStatus = 400;
    const tl2 = new TimelineRecorder();
    const obs2 = observeLogs(url, '{service_name="ml-service"} |= bad', Date.now(), tl2, 50);
    await until(() => kinds(tl2, 'query-error').length > 0);
    await obs2.stop();
    expect(kinds(tl2, 'query-error')).toEqual([expect.objectContaining({ backend: 'loki', message: expect.stringMatching(/^HTTP 400: parse error/) })]);
  });
});

describe('trace observer (Tempo /api/search)', () => {
  it('finds a trace by TraceQL, sending q with start and end in seconds', async () => {
    reset();
    const tl = new TimelineRecorder();
    const from = Date.now() - 3000;
    const q = '{ resource.service.name = "api-gateway" && name = "POST /predict" && status = error }';
    const obs = observeTrace(url, q, from, tl, 50);
    await until(() => seen.some((s) => s.path === '/api/search'));
    state.tempoTraces = ['4bf92f3577b34da6a3ce929d0e0e4736'];
    await until(() => kinds(tl, 'trace-found').length > 0);
    await obs.stop();
    expect(kinds(tl, 'trace-found')).toEqual([expect.objectContaining({ query: q, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })]);
    const req = seen.find((s) => s.path === '/api/search')!;
    expect(req.params.get('q')).toBe(q);
    expect(req.params.get('start')).toBe(String(Math.floor(from / 1000)));
    expect(Number(req.params.get('end'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
    expect(req.params.get('end')).toMatch(/^\d{10}$/);
  });

  it('records a query-error when Tempo rejects the TraceQL', async () => {
    reset();
    state.tempoStatus = 400;
    const tl = new TimelineRecorder();
    const obs = observeTrace(url, '{ nonsense', Date.now(), tl, 50);
    await until(() => kinds(tl, 'query-error').length > 0);
    await obs.stop();
    expect(kinds(tl, 'trace-found')).toEqual([]);
    expect(kinds(tl, 'query-error')[0]).toMatchObject({ backend: 'tempo', query: '{ nonsense' });
  });
});

describe('correlation observer (exemplars and log lines → Tempo)', () => {
  const urls = () => ({ prometheus: url, loki: url, tempo: url });
  const links = (tl: TimelineRecorder) => kinds(tl, 'correlation-link') as Extract<TimelineEvent, { kind: 'correlation-link' }>[];

  it('passes both links when both trace_ids resolve in Tempo', async () => {
    reset();
    state.exemplarIds = ['aaaa0000000000000000000000000001'];
    state.lokiLines = [{ line: 'plain text without id' }, { line: '{"msg":"x"}', traceId: 'bbbb0000000000000000000000000002' }];
    state.tempoKnown = new Set(['aaaa0000000000000000000000000001', 'bbbb0000000000000000000000000002']);
    const tl = new TimelineRecorder();
    const obs = observeCorrelation(urls(), Date.now() - 1000, tl, 50);
    await until(() => links(tl).filter((l) => l.resolved).length === 2);
    await obs.stop();
    expect(links(tl).map((l) => [l.link, l.resolved, l.traceId]).sort()).toEqual([
      ['exemplars', true, 'aaaa0000000000000000000000000001'],
      ['logs', true, 'bbbb0000000000000000000000000002'],
    ]);
    const ex = seen.find((s) => s.path === '/api/v1/query_exemplars')!;
    expect(ex.params.get('query')).toBe('http_server_request_duration_seconds_bucket');
  });

  it('takes the trace_id from a JSON log line when there is no structured metadata', async () => {
    reset();
    state.lokiLines = [{ line: '{"level":"info","trace_id":"cccc0000000000000000000000000003","msg":"ok"}' }];
    state.tempoKnown = new Set(['cccc0000000000000000000000000003']);
    const tl = new TimelineRecorder();
    const obs = observeCorrelation(urls(), Date.now() - 1000, tl, 50);
    await until(() => links(tl).some((l) => l.link === 'logs' && l.resolved));
    await obs.stop();
    expect(links(tl).find((l) => l.link === 'logs')!.traceId).toBe('cccc0000000000000000000000000003');
  });

  it('reports the exemplar link failing when Prometheus has no exemplar', async () => {
    reset();
    state.lokiLines = [{ line: 'x', traceId: 'dddd0000000000000000000000000004' }];
    state.tempoKnown = new Set(['dddd0000000000000000000000000004']);
    const tl = new TimelineRecorder();
    const obs = observeCorrelation(urls(), Date.now() - 1000, tl, 50);
    await until(() => links(tl).some((l) => l.link === 'logs' && l.resolved) && seen.filter((s) => s.path === '/api/v1/query_exemplars').length >= 2);
    await obs.stop();
    expect(links(tl).find((l) => l.link === 'exemplars')).toMatchObject({ resolved: false, reason: 'Prometheus has no exemplar with a trace_id on http_server_request_duration_seconds_bucket' });
  });

  it('reports the log link failing when the line trace_id is unknown to Tempo', async () => {
    reset();
    state.exemplarIds = ['eeee0000000000000000000000000005'];
    state.lokiLines = [{ line: 'x', traceId: 'ffff0000000000000000000000000006' }];
    state.tempoKnown = new Set(['eeee0000000000000000000000000005']);
    const tl = new TimelineRecorder();
    const obs = observeCorrelation(urls(), Date.now() - 1000, tl, 50);
    await until(() => links(tl).some((l) => l.link === 'exemplars' && l.resolved) && seen.filter((s) => s.path === '/api/v2/traces/ffff0000000000000000000000000006').length >= 1);
    await obs.stop();
    expect(links(tl).find((l) => l.link === 'logs')).toMatchObject({ resolved: false, reason: 'trace ffff0000000000000000000000000006 not found in Tempo (HTTP 404)' });
  });

  it('reports the log link failing when no line carries a trace_id', async () => {
    reset();
    state.exemplarIds = ['eeee0000000000000000000000000005'];
    state.tempoKnown = new Set(['eeee0000000000000000000000000005']);
    state.lokiLines = [{ line: 'no id here' }];
    const tl = new TimelineRecorder();
    const obs = observeCorrelation(urls(), Date.now() - 1000, tl, 50);
    await until(() => links(tl).some((l) => l.link === 'exemplars' && l.resolved) && seen.filter((s) => s.path === '/loki/api/v1/query_range').length >= 2);
    await obs.stop();
    expect(links(tl).find((l) => l.link === 'logs')!.reason).toMatch(/no Loki line since the scenario start carries a trace_id/);
  });
});
