import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../../scripts/load/driver.ts';

let server: Server;
let baseUrl: string;
const arrivals: number[] = [];

beforeAll(async () => {
  // Every answer takes 200 ms: a closed model would send far fewer requests than scheduled.
  server = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    setTimeout(() => res.writeHead(req.url === '/missing' ? 404 : 200).end('{}'), 200);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('builtin load driver', () => {
  it('ramping-arrival-rate: sends the schedule open-model (0 → 40 rps over 1s, then holds 40 rps for 0.5s: 40 requests), with HDR latencies', async () => {
    arrivals.length = 0;
    const started = performance.now();
    const summary = await new LoadDriver({
      executor: 'ramping-arrival-rate',
      rate: 0,
      startRate: 0,
      stages: [{ target: 40, durationSeconds: 1 }],
      durationSeconds: 1.5,
      requests: [{ method: 'POST', path: '/predict', weight: 3 }, { method: 'GET', path: '/missing', weight: 1 }],
      baseUrl,
      body: (e) => (e.method === 'GET' ? undefined : { n: 1 }),
    }).run();
    const elapsed = (performance.now() - started) / 1000;
    expect(summary.sent).toBe(40);
    expect(summary).toMatchObject({ ok: 40, failed: 0, dropped: 0 });
    expect(summary.statusCounts['200']! + summary.statusCounts['404']!).toBe(40);
    expect(summary.statusCounts['404']).toBeGreaterThanOrEqual(8);
    expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(195);
    expect(summary.latencyMs.max).toBeGreaterThanOrEqual(summary.latencyMs.p95);
    // Open model: the last request leaves before the schedule ends, not 40 × 200 ms later.
    expect(elapsed).toBeLessThan(2.5);
    // The first second (the ramp) carries ≈ 20 arrivals, the last half second ≈ 20.
    const rampShare = arrivals.filter((t) => t - started < 1000).length;
    expect(rampShare).toBeGreaterThanOrEqual(17);
    expect(rampShare).toBeLessThanOrEqual(23);
  });

  it('constant-arrival-rate stays as before: rate × duration requests, stop() ends it early', async () => {
    const summary = await new LoadDriver({ rate: 20, durationSeconds: 0.5, requests: [{ method: 'GET', path: '/', weight: 1 }], baseUrl }).run();
    expect(summary.sent).toBe(10);
    const driver = new LoadDriver({ rate: 50, durationSeconds: 60, requests: [{ method: 'GET', path: '/', weight: 1 }], baseUrl });
    const run = driver.run();
    setTimeout(() => driver.stop(), 200);
    const stopped = await run;
    expect(stopped.sent).toBeGreaterThan(0);
    expect(stopped.sent).toBeLessThan(30);
  });

  it('refuses a target that is not loopback, whatever the executor or engine', () => {
    for (const extra of [{}, { executor: 'ramping-arrival-rate' as const, stages: [{ target: 5, durationSeconds: 1 }] }, { engine: 'k6' as const }]) {
      expect(() => new LoadDriver({ rate: 1, durationSeconds: 1, requests: [], baseUrl: 'http://10.1.2.3:8080', ...extra })).toThrow(/not a loopback address/);
    }
  });
});
