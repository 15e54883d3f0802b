import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ComponentStatus } from '../../../scripts/runtime/types.ts';
import { annotateFaultWindows, grafanaFaultAnnotator, grafanaUrlOf } from '../../../scripts/scenario/observers/grafana-annotations.ts';
import { TimelineRecorder, type EventOf, type TimelineEvent } from '../../../scripts/scenario/timeline.ts';

/**
 * The fault-window annotator against a real HTTP server on 127.0.0.1 standing in for Grafana
 * (no Grafana binary on these machines). It answers as Grafana's annotations API documents:
 * POST /api/annotations → {"message":"Annotation added","id":N}; PATCH /api/annotations/:id →
 * {"message":"Annotation patched"}. Every request is recorded as it arrives.
 */
interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}
const seen: Seen[] = [];
/** How the stand-in answers: ok, an HTTP 500, or never (a hung Grafana); `postDelayMs` slows POST. */
const mode = { post: 'ok' as 'ok' | '500' | 'hang', patch: 'ok' as 'ok' | '500' | 'hang', postDelayMs: 0 };
let nextId = 41;
let server: Server;
let url: string;
const hung: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, headers: req.headers, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const how = req.method === 'POST' ? mode.post : mode.patch;
      if (how === 'hang') return void hung.push(res);
      if (how === '500') return json(500, { message: 'Failed to save annotation' });
      if (req.method === 'POST' && req.url === '/api/annotations') {
        const id = ++nextId;
        return void setTimeout(() => json(200, { message: 'Annotation added', id }), mode.postDelayMs);
      }
      if (req.method === 'PATCH' && /^\/api\/annotations\/\d+$/.test(req.url!)) return json(200, { message: 'Annotation patched' });
      json(404, { message: 'Not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen.length = 0;
  Object.assign(mode, { post: 'ok', patch: 'ok', postDelayMs: 0 });
});

const T1 = Date.parse('2026-11-22T14:00:05.250Z');
const T2 = Date.parse('2026-11-22T14:00:31.750Z');
const latency = { fault: 'latency', service: 'ml-service', id: 'f-1' } as const;
const warnings = (tl: TimelineRecorder) => tl.events.filter((e): e is EventOf<'query-error'> => e.kind === 'query-error');
const ms = (e: TimelineEvent) => Date.parse(e.at);

describe('fault windows as Grafana annotations', () => {
  it('a fault injected at t1 and cleared at t2: one POST (region start) and one PATCH (timeEnd), with basic auth and JSON', async () => {
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url, scenario: 'ml-latency-spike', timeline: tl, user: 'admin', password: 'admin' });
    tl.record({ kind: 'scenario-start', scenario: 'ml-latency-spike' });
    const start = tl.record({ kind: 'fault-start', ...latency, params: { delay: '800ms' } }, T1);
    tl.record({ kind: 'alert-firing', alert: 'MlServiceHighLatency', labels: { service: 'ml-service' } });
    const end = tl.record({ kind: 'fault-end', ...latency, reason: 'cleared' }, T2);
    await annotator.stop();

    expect(Math.abs(ms(start) - T1)).toBeLessThanOrEqual(1);
    expect(Math.abs(ms(end) - T2)).toBeLessThanOrEqual(1);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/annotations', `PATCH /api/annotations/${nextId}`]);
    const [post, patch] = seen as [Seen, Seen];
    expect(post.body).toEqual({
      time: ms(start),
      timeEnd: ms(start),
      tags: ['sandbox', 'fault', 'latency', 'ml-service', 'scenario:ml-latency-spike'],
      text: 'scenario ml-latency-spike: fault latency on ml-service {"delay":"800ms"}',
    });
    expect(patch.body).toEqual({ timeEnd: ms(end), text: 'scenario ml-latency-spike: fault latency on ml-service {"delay":"800ms"} (ended: cleared)' });
    for (const s of seen) {
      expect(s.headers.authorization).toBe(`Basic ${Buffer.from('admin:admin').toString('base64')}`);
      expect(s.headers['content-type']).toBe('application/json');
    }
    expect(warnings(tl)).toEqual([]);
  });

  it("defaults to Grafana's admin/admin, or GF_SECURITY_ADMIN_USER/PASSWORD when set", async () => {
    const saved = { user: process.env.GF_SECURITY_ADMIN_USER, password: process.env.GF_SECURITY_ADMIN_PASSWORD };
    try {
      delete process.env.GF_SECURITY_ADMIN_USER;
      delete process.env.GF_SECURITY_ADMIN_PASSWORD;
      const tl = new TimelineRecorder();
      const a = annotateFaultWindows({ url, scenario: 's', timeline: tl });
      tl.record({ kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'c' });
      await a.stop();
      process.env.GF_SECURITY_ADMIN_USER = 'ops';
      process.env.GF_SECURITY_ADMIN_PASSWORD = 's3cret';
      const b = annotateFaultWindows({ url, scenario: 's', timeline: tl });
      tl.record({ kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'd' });
      await b.stop();
      expect(seen.map((s) => s.headers.authorization)).toEqual([`Basic ${Buffer.from('admin:admin').toString('base64')}`, `Basic ${Buffer.from('ops:s3cret').toString('base64')}`]);
      // No params: the text says so by leaving them out.
      expect(seen[0]!.body.text).toBe('scenario s: fault crash on ml-service');
    } finally {
      for (const [k, v] of [['GF_SECURITY_ADMIN_USER', saved.user], ['GF_SECURITY_ADMIN_PASSWORD', saved.password]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('patches the right annotation when the fault ends before Grafana answered the POST, one window per fault', async () => {
    mode.postDelayMs = 150;
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url, scenario: 'two', timeline: tl, user: 'admin', password: 'admin' });
    tl.record({ kind: 'fault-start', ...latency }, T1);
    tl.record({ kind: 'fault-start', fault: 'crash', service: 'api-gateway', id: 'f-2' }, T1 + 1000);
    tl.record({ kind: 'fault-end', fault: 'crash', service: 'api-gateway', id: 'f-2', reason: 'remediated' }, T2);
    tl.record({ kind: 'fault-end', ...latency, reason: 'expired' }, T2 + 1000);
    await annotator.stop();
    const posts = seen.filter((s) => s.method === 'POST');
    const patches = seen.filter((s) => s.method === 'PATCH');
    expect(posts.map((p) => p.body.tags)).toEqual([
      ['sandbox', 'fault', 'latency', 'ml-service', 'scenario:two'],
      ['sandbox', 'fault', 'crash', 'api-gateway', 'scenario:two'],
    ]);
    // Ids in order of the POSTs' answers: nextId-1 for latency, nextId for crash.
    expect(patches.map((p) => [p.path, p.body.timeEnd]).sort()).toEqual(
      [
        [`/api/annotations/${nextId - 1}`, ms(tl.events.find((e) => e.kind === 'fault-end' && e.id === 'f-1')!)],
        [`/api/annotations/${nextId}`, ms(tl.events.find((e) => e.kind === 'fault-end' && e.id === 'f-2')!)],
      ].sort(),
    );
    expect(warnings(tl)).toEqual([]);
  });

  it('an HTTP 500 becomes one grafana warning on the timeline, and no PATCH is attempted', async () => {
    mode.post = '500';
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url, scenario: 's', timeline: tl, timeoutMs: 500 });
    tl.record({ kind: 'fault-start', ...latency });
    tl.record({ kind: 'fault-end', ...latency, reason: 'cleared' });
    const t0 = Date.now();
    await annotator.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(seen.map((s) => s.method)).toEqual(['POST']);
    expect(warnings(tl)).toEqual([
      expect.objectContaining({ backend: 'grafana', query: 'POST /api/annotations (latency on ml-service)', message: expect.stringMatching(/^HTTP 500: .*Failed to save annotation/) }),
    ]);
  });

  it('a PATCH answered with 500 is a warning naming the annotation', async () => {
    mode.patch = '500';
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url, scenario: 's', timeline: tl, timeoutMs: 500 });
    tl.record({ kind: 'fault-start', ...latency });
    tl.record({ kind: 'fault-end', ...latency, reason: 'scenario-end' });
    await annotator.stop();
    expect(seen.map((s) => s.method)).toEqual(['POST', 'PATCH']);
    expect(warnings(tl)).toEqual([expect.objectContaining({ backend: 'grafana', query: `PATCH /api/annotations/${nextId} (latency on ml-service ended)`, message: expect.stringMatching(/^HTTP 500/) })]);
  });

  it('a hung Grafana: stop() returns within the timeout, with a warning', async () => {
    mode.post = 'hang';
    const tl = new TimelineRecorder();
    const timeoutMs = 300;
    const annotator = annotateFaultWindows({ url, scenario: 's', timeline: tl, timeoutMs });
    const t0 = Date.now();
    tl.record({ kind: 'fault-start', ...latency });
    tl.record({ kind: 'fault-end', ...latency, reason: 'cleared' });
    await annotator.stop();
    expect(Date.now() - t0).toBeLessThan(timeoutMs + 400);
    expect(seen.map((s) => s.method)).toEqual(['POST']);
    // The request's own timeout, or stop()'s grace period of the same length: whichever fires first.
    expect(warnings(tl)).toEqual([expect.objectContaining({ backend: 'grafana', message: expect.stringMatching(/^(no answer within 300 ms|abandoned at the end of the scenario)$/) })]);
  });

  it('a hung PATCH at the end of the scenario is abandoned after the grace period, with a warning', async () => {
    mode.patch = 'hang';
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url, scenario: 's', timeline: tl, timeoutMs: 300 });
    tl.record({ kind: 'fault-start', ...latency });
    await new Promise((r) => setTimeout(r, 100)); // the POST is answered
    tl.record({ kind: 'fault-end', ...latency, reason: 'scenario-end' });
    const t0 = Date.now();
    await annotator.stop();
    expect(Date.now() - t0).toBeLessThan(700);
    expect(seen.map((s) => s.method)).toEqual(['POST', 'PATCH']);
    expect(warnings(tl)).toHaveLength(1);
    expect(warnings(tl)[0]!.query).toMatch(/^PATCH \/api\/annotations\/\d+ /);
  });

  it('Grafana not listening (connection refused): a warning, nothing thrown', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url: `http://127.0.0.1:${port}`, scenario: 's', timeline: tl, timeoutMs: 500 });
    tl.record({ kind: 'fault-start', ...latency });
    await annotator.stop();
    expect(warnings(tl)).toEqual([expect.objectContaining({ backend: 'grafana', message: expect.stringMatching(/ECONNREFUSED/) })]);
  });

  it('sends nothing for other events, or for a fault-end whose start it never saw', async () => {
    const tl = new TimelineRecorder();
    const annotator = annotateFaultWindows({ url, scenario: 's', timeline: tl });
    tl.record({ kind: 'alert-firing', alert: 'ServiceDown', labels: {} });
    tl.record({ kind: 'fault-end', ...latency, reason: 'cleared' });
    await annotator.stop();
    tl.record({ kind: 'fault-start', ...latency }); // after stop(): not watched any more
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
  });
});

describe('where Grafana runs', () => {
  const components = (grafana?: Partial<ComponentStatus>): ComponentStatus[] => [
    { name: 'prometheus', state: 'ready', url: 'http://127.0.0.1:9090' },
    ...(grafana ? [{ name: 'grafana', state: 'ready', ...grafana } as ComponentStatus] : []),
  ];

  it('takes Grafana from the status only when it is ready with a URL', () => {
    expect(grafanaUrlOf(components({ url: 'http://127.0.0.1:3000/' }))).toBe('http://127.0.0.1:3000');
    expect(grafanaUrlOf(components({ state: 'unavailable', url: 'http://127.0.0.1:3000', reason: 'no grafana binary on PATH' }))).toBeNull();
    expect(grafanaUrlOf(components({ state: 'starting', url: 'http://127.0.0.1:3000' }))).toBeNull();
    expect(grafanaUrlOf(components({}))).toBeNull();
    expect(grafanaUrlOf(components())).toBeNull();
  });

  it('no Grafana (native without a binary, attached): no annotator, no request, no warning', async () => {
    for (const c of [components({ state: 'unavailable', url, reason: 'no grafana binary on PATH' }), components()]) {
      const tl = new TimelineRecorder();
      expect(grafanaFaultAnnotator(c, { scenario: 's', timeline: tl })).toBeNull();
      tl.record({ kind: 'fault-start', ...latency });
      tl.record({ kind: 'fault-end', ...latency, reason: 'cleared' });
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([]);
      expect(warnings(tl)).toEqual([]);
    }
  });

  it('Grafana ready: the annotator writes to the URL from the status', async () => {
    const tl = new TimelineRecorder();
    const annotator = grafanaFaultAnnotator(components({ url }), { scenario: 's', timeline: tl, user: 'admin', password: 'admin' });
    expect(annotator).not.toBeNull();
    tl.record({ kind: 'fault-start', ...latency });
    await annotator!.stop();
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /api/annotations']);
  });
});
