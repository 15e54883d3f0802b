import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { warmUp } from '../../../scripts/load/warm-up.ts';

describe('warm-up traffic before the first scrape', () => {
  it('POSTs prediction bodies to /predict at the rate until stopped, and nothing after', async () => {
    const seen: { method?: string; url?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const warm = warmUp(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 20);
      await new Promise((r) => setTimeout(r, 500));
      await warm.stop();
      const sent = seen.length;
      expect(sent).toBeGreaterThanOrEqual(5);
      expect(sent).toBeLessThanOrEqual(12);
      for (const r of seen) {
        expect([r.method, r.url]).toEqual(['POST', '/predict']);
        expect(JSON.parse(r.body)).toBeTypeOf('object');
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.length).toBe(sent);
    } finally {
      server.close();
    }
  });
});
