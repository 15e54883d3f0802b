import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Wait, waitFor } from '../../../scripts/core/wait.ts';

describe('waitFor', () => {
  it('returns what the probe found once it finds something, looking again until then', async () => {
    let looks = 0;
    const value = await waitFor(Wait.until('the third look', () => (++looks >= 3 ? 'found' : undefined)), { timeoutMs: 2000, intervalMs: 5 });
    expect(value).toBe('found');
    expect(looks).toBe(3);
  });

  it('fails at the timeout with what it last observed, a throwing look counting as not yet', async () => {
    let looks = 0;
    const strategy = {
      what: 'the flaky thing',
      check: () => {
        looks += 1;
        if (looks % 2) throw new Error('connect ECONNREFUSED', { cause: new Error('ECONNREFUSED 127.0.0.1:1') });
        return { done: false as const, observed: `look ${looks}` };
      },
    };
    const started = performance.now();
    const e = await waitFor(strategy, { timeoutMs: 120, intervalMs: 10 }).catch((x: Error) => x);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect((e as Error).message).toMatch(/^the flaky thing: not within 0\.12s \(last seen: (look \d+|ECONNREFUSED 127\.0\.0\.1:1)\)$/);
    const custom = await waitFor(strategy, { timeoutMs: 30, intervalMs: 10, onTimeout: (observed, what) => new RangeError(`${what} / ${observed}`) }).catch((x: Error) => x);
    expect(custom).toBeInstanceOf(RangeError);
  });

  it('fails at once when failFast reports the thing waited on is gone, and when the signal aborts', async () => {
    const dead = new Error('the process exited');
    const started = performance.now();
    await expect(waitFor(Wait.until('never', () => undefined), { timeoutMs: 5000, failFast: () => dead })).rejects.toBe(dead);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stopped')), 30);
    await expect(waitFor(Wait.until('never', () => undefined), { timeoutMs: 5000, intervalMs: 1000, signal: controller.signal })).rejects.toThrow('stopped');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('Wait.forHttp waits for a real endpoint to answer 2xx, and says what it answered meanwhile', async () => {
    let status = 503;
    const server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/-/ready`;
    try {
      const e = await waitFor(Wait.forHttp(url), { timeoutMs: 60, intervalMs: 10 }).catch((x: Error) => x);
      expect((e as Error).message).toContain(`${url} to answer: not within 0.06s (last seen: HTTP 503)`);
      setTimeout(() => (status = 200), 30);
      await expect(waitFor(Wait.forHttp(url), { timeoutMs: 2000, intervalMs: 10 })).resolves.toBe(200);
    } finally {
      server.close();
    }
    const refused = await waitFor(Wait.forHttp(url), { timeoutMs: 50, intervalMs: 10 }).catch((x: Error) => x);
    expect((refused as Error).message).toMatch(/ECONNREFUSED/);
  });
});
