import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlApiError, ControlClient } from '../../../scripts/core/control-client.ts';

// A stand-in for the control API's HTTP surface (the real one needs a whole sandbox host; the
// integration and e2e suites drive it through this client): it checks the token and answers
// the way runtime/control-api.ts does.
let server: Server;
let base: string;
const seen: { method: string; url: string; auth: string | undefined; type: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], body });
      const send = (status: number, doc: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      if (req.headers.authorization !== 'Bearer s3cret') return send(401, { error: 'missing or wrong session token' });
      if (req.url === '/status') return send(200, { runtime: 'native', session: 'abc', components: [{ name: 'ml-service', state: 'failed' }] });
      if (req.url === '/stack/prometheus/reload') return send(422, { component: 'prometheus', ok: false, detail: 'rules.yml: bad expr at line 4' });
      if (req.url === '/events?after=7') return send(200, [{ seq: 8, at: '2026-01-01T00:00:00Z', kind: 'process-start', service: 'ml-service', pid: 1, restarts: 1 }]);
      if (req.url === '/slow') return void setTimeout(() => send(200, {}), 2000);
      send(200, { ok: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('ControlClient: the one client of the control API', () => {
  it('sends the session token on every call and JSON bodies with their type', async () => {
    const c = new ControlClient(base, 's3cret');
    await c.setRestartPolicy('ml-service', { policy: 'on-failure', crashAfterMs: 1500 });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', url: '/services/ml-service/restart-policy', auth: 'Bearer s3cret', type: 'application/json' });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ policy: 'on-failure', crashAfterMs: 1500 });
    expect((await c.events(7))[0]).toMatchObject({ seq: 8, kind: 'process-start' });
    expect(await c.readyCheck('ml-service')).toEqual({ ok: false, observed: 'ml-service is failed' });
  });

  it('fails with what was asked, the status and the API’s own reason', async () => {
    const e = await new ControlClient(base, 's3cret').reloadStack('prometheus').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ControlApiError);
    expect(e).toMatchObject({ status: 422, reason: 'rules.yml: bad expr at line 4', message: 'POST /stack/prometheus/reload: HTTP 422 rules.yml: bad expr at line 4' });
    const wrong = await new ControlClient(base, 'other').status().catch((x: unknown) => x);
    expect(wrong).toMatchObject({ status: 401, reason: 'missing or wrong session token' });
  });

  it('tells no answer (status null) from a refusal, and times out', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const gone = await new ControlClient(`http://127.0.0.1:${port}`, 's3cret').status().catch((x: unknown) => x);
    expect(gone).toMatchObject({ status: null, reason: 'ECONNREFUSED' });
    expect(await new ControlClient(`http://127.0.0.1:${port}`, 's3cret').answers()).toBe(false);
    const slow = await new ControlClient(base, 's3cret', 200).call('GET', '/slow').catch((x: unknown) => x);
    expect(slow).toMatchObject({ status: null, reason: 'no answer within 0.2s' });
  });
});
