import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MlClient, upstreamListProblem } from '../../../sample-services/api-gateway/ml-client.ts';

describe('api-gateway upstream list', () => {
  it('accepts a non-empty list of distinct http(s) base URLs and says what is wrong with anything else', () => {
    expect(upstreamListProblem(['http://127.0.0.1:8081', 'http://127.0.0.1:8082'])).toBeNull();
    expect(upstreamListProblem([])).toMatch(/non-empty list/);
    expect(upstreamListProblem('http://127.0.0.1:8081')).toMatch(/non-empty list/);
    expect(upstreamListProblem(['not a url'])).toMatch(/upstreams\[0\]: not a URL/);
    expect(upstreamListProblem(['ftp://127.0.0.1:21'])).toMatch(/upstreams\[0\]: expected an http\(s\) URL/);
    expect(upstreamListProblem(['http://127.0.0.1:8081', 'http://127.0.0.1:8081/'])).toMatch(/twice/);
    expect(upstreamListProblem(['http://localhost:8081', 'http://[::1]:8082'])).toBeNull();
    expect(upstreamListProblem(['http://127.0.0.1:8081', 'http://10.0.0.5:8081'])).toMatch(/upstreams\[1\]: 10\.0\.0\.5 is not a loopback address/);
  });

  it('keeps the primary first and replaces the list as a whole', () => {
    const ml = new MlClient(['http://127.0.0.1:8081'], 1000, () => false);
    expect(ml.primary).toBe('http://127.0.0.1:8081');
    ml.setUpstreams(['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    expect(ml.upstreams).toEqual(['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    expect(() => ml.setUpstreams([])).toThrow(/empty/);
    ml.close();
  });

  it('gives a call refused by a dead instance to the next one, but a lone instance\'s refusal is the error', async () => {
    let served = 0;
    const alive = http.createServer((_req, res) => ((served += 1), res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')));
    await new Promise<void>((r) => alive.listen(0, '127.0.0.1', r));
    const aliveUrl = `http://127.0.0.1:${(alive.address() as AddressInfo).port}`;
    // A port nothing listens on: what a crashed replica leaves.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const ml = new MlClient([deadUrl, aliveUrl], 1000, () => false);
    try {
      // Round-robin starts at the dead one every other call; all four still succeed.
      for (let i = 0; i < 4; i++) expect((await ml.call('GET', '/x')).status).toBe(200);
      expect(served).toBe(4);
      // Asking the dead instance by name (the health probe's way) is not redirected.
      await expect(ml.call('GET', '/x', { upstream: deadUrl })).rejects.toMatchObject({ refused: true });
      ml.setUpstreams([deadUrl]);
      await expect(ml.call('GET', '/x')).rejects.toMatchObject({ refused: true, timedOut: false });
    } finally {
      ml.close();
      await new Promise((r) => alive.close(r));
    }
  });
});
