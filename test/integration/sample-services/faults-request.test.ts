import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { chaos, createSandbox, postJson, scrape, sleep, TOKEN, type ServiceProcess } from './harness.ts';

const COUNT_OK = 'http_server_request_duration_seconds_count{http_request_method="POST",http_route="/predict",http_response_status_code="200"}';
const FAST_BUCKET = 'http_server_request_duration_seconds_bucket{le="0.25",http_request_method="POST",http_route="/predict",http_response_status_code="200"}';

/** Request-path faults (latency, errors, dependency-outage) and the chaos API's input checks. */
describe('request-path faults', () => {
  const sandbox = createSandbox();
  let ml: ServiceProcess;
  let gw: ServiceProcess;
  let seed = 0;
  const predict = (base: string) => postJson(`${base}/predict`, makePredictRequest(++seed));

  beforeAll(async () => {
    ml = await sandbox.start('ml-service');
    gw = await sandbox.start('api-gateway', { ML_SERVICE_URL: ml.url }, { waitReady: true });
  });
  afterEach(async () => {
    await chaos(ml.url, 'DELETE');
    await chaos(gw.url, 'DELETE');
  });
  afterAll(() => sandbox.cleanup());

  it('latency shifts the histogram past the delay, then clears on DELETE', async () => {
    const before = await scrape(ml.url);
    const res = await chaos(ml.url, 'POST', '', { type: 'latency', params: { delay: '300ms', jitter: '50ms' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'latency', params: { delay: '300ms', jitter: '50ms' }, expiresAt: null });
    expect(res.body.id).toEqual(expect.any(String));
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      expect((await predict(ml.url)).status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
    }
    const during = await scrape(ml.url);
    expect(during.value(COUNT_OK) - before.value(COUNT_OK)).toBe(4);
    expect(during.value(FAST_BUCKET)).toBe(before.value(FAST_BUCKET));

    // As the sandbox's injector sends it: a JSON content type and no body.
    const del = await fetch(`${ml.url}/chaos/faults/${res.body.id}`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json', 'x-chaos-token': TOKEN },
    });
    expect(del.status).toBe(204);
    expect((await chaos(ml.url, 'GET')).body).toEqual([]);
    const t0 = performance.now();
    await predict(ml.url);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('latency limited to a route and a ratio, and expiring by its duration', async () => {
    const res = await chaos(gw.url, 'POST', '', { type: 'latency', params: { delay: '400ms', route: '/engines' }, durationMs: 1500 });
    expect(res.status).toBe(201);
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.startedAt)).toBe(1500);
    let t0 = performance.now();
    await fetch(`${gw.url}/engines`).then((r) => r.text());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(395);
    t0 = performance.now();
    await predict(gw.url);
    expect(performance.now() - t0).toBeLessThan(300);
    await sleep(1700);
    expect((await chaos(gw.url, 'GET')).body).toEqual([]);
    t0 = performance.now();
    await fetch(`${gw.url}/engines`).then((r) => r.text());
    expect(performance.now() - t0).toBeLessThan(300);

    await chaos(ml.url, 'POST', '', { type: 'latency', params: { delay: '200ms', ratio: 0.5 } });
    let slow = 0;
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await predict(ml.url);
      if (performance.now() - t >= 195) slow += 1;
    }
    expect(slow).toBeGreaterThan(4);
    expect(slow).toBeLessThan(26);
  });

  it('errors fail the given share with the given status; the gateway reports 502; clears', async () => {
    await chaos(ml.url, 'POST', '', { type: 'errors', params: { ratio: 1, status: 503 } });
    const direct = await predict(ml.url);
    expect(direct.status).toBe(503);
    expect((await predict(gw.url)).status).toBe(502);
    const m = await scrape(ml.url);
    expect(m.value('http_server_request_duration_seconds_count{http_request_method="POST",http_route="/predict",http_response_status_code="503"}')).toBe(2);
    await chaos(ml.url, 'DELETE');

    // Spread evenly: exactly the share, and never two failures closer than the share allows.
    await chaos(gw.url, 'POST', '', { type: 'errors', params: { ratio: 0.25 } });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await predict(gw.url)).status);
    const failedAt = statuses.flatMap((s, i) => (s === 500 ? [i] : []));
    expect(failedAt).toHaveLength(25);
    expect(failedAt.slice(1).map((at, i) => at - failedAt[i]!)).toEqual(Array(24).fill(4));
    expect(statuses.filter((s) => s !== 500 && s !== 200)).toEqual([]);
    await chaos(gw.url, 'DELETE');
    expect((await predict(gw.url)).status).toBe(200);
  });

  it('dependency-outage makes gateway calls fail, opens the breaker, and clears', async () => {
    const res = await chaos(gw.url, 'POST', '', { type: 'dependency-outage', params: { dependency: 'ml-service' } });
    expect(res.status).toBe(201);
    const first = await predict(gw.url);
    expect(first.status).toBe(503);
    expect(first.body.error).toContain('ECONNREFUSED');
    expect((await fetch(`${gw.url}/ready`)).status).toBe(503);
    for (let i = 0; i < 5; i++) await predict(gw.url);
    const open = await predict(gw.url);
    expect(open.body.error).toContain('circuit breaker open');
    const m = await scrape(gw.url);
    expect(m.value('circuit_breaker_state{dependency="ml-service"}')).toBe(1);
    expect(m.value('dependency_up{dependency="ml-service"}')).toBe(0);

    expect((await chaos(gw.url, 'DELETE', `/${res.body.id}`)).status).toBe(204);
    expect((await fetch(`${gw.url}/ready`)).status).toBe(200);
    // Remediation resets the breaker instead of waiting for the cool-down.
    const admin = await postJson(`${gw.url}/admin/circuit-breaker`, { state: 'auto' }, { 'x-chaos-token': TOKEN });
    expect(admin.body).toEqual({ mode: 'auto', state: 'closed' });
    expect((await predict(gw.url)).status).toBe(200);
  });

  it('circuit-breaker admin: pin open, pin closed, token required', async () => {
    expect((await postJson(`${gw.url}/admin/circuit-breaker`, { state: 'open' })).status).toBe(401);
    expect((await postJson(`${gw.url}/admin/circuit-breaker`, { state: 'ajar' }, { 'x-chaos-token': TOKEN })).status).toBe(400);
    await postJson(`${gw.url}/admin/circuit-breaker`, { state: 'open' }, { 'x-chaos-token': TOKEN });
    expect((await predict(gw.url)).status).toBe(503);
    expect((await scrape(gw.url)).value('circuit_breaker_state{dependency="ml-service"}')).toBe(1);
    await postJson(`${gw.url}/admin/circuit-breaker`, { state: 'closed' }, { 'x-chaos-token': TOKEN });
    const state = await fetch(`${gw.url}/admin/circuit-breaker`, { headers: { 'x-chaos-token': TOKEN } }).then((r) => r.json());
    expect(state).toEqual({ mode: 'closed', state: 'closed' });
    expect((await predict(gw.url)).status).toBe(200);
    await postJson(`${gw.url}/admin/circuit-breaker`, { state: 'auto' }, { 'x-chaos-token': TOKEN });
  });

  it('rejects bad chaos requests with a message naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'meteor', params: {} }, /type: unknown fault type "meteor".*supported: latency/],
      [{ type: 'latency', params: { delay: 'fast' } }, /params\.delay: expected a duration/],
      [{ type: 'latency', params: {} }, /params\.delay/],
      [{ type: 'errors', params: { ratio: 2 } }, /params\.ratio: a ratio is between 0 and 1/],
      [{ type: 'errors', params: { ratio: 0.1, colour: 'red' } }, /params.*colour/],
      [{ type: 'memory-leak', params: { rate: '20MB' } }, /params\.rate: expected a size per second/],
      [{ type: 'dependency-outage', params: { dependency: 'redis' } }, /params\.dependency: unknown dependency "redis".*ml-service/],
      [{ type: 'latency', params: { delay: '1s' }, durationMs: -5 }, /durationMs/],
      [{ type: 'bad-model', params: {} }, /unknown fault type "bad-model"/],
    ];
    for (const [body, message] of cases) {
      const res = await chaos(gw.url, 'POST', '', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    expect((await chaos(gw.url, 'GET')).body).toEqual([]);
    expect((await chaos(gw.url, 'DELETE', '/latency-nothere')).status).toBe(404);
  });

  it('audits every injection and clear', async () => {
    const res = await chaos(gw.url, 'POST', '', { type: 'cpu-burn', params: { ratio: 0.1 }, durationMs: 60_000 });
    await chaos(gw.url, 'DELETE', `/${res.body.id}`);
    const lines = readFileSync(join(sandbox.stateDir, 'audit', 'chaos.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const mine = lines.filter((l) => l.id === res.body.id);
    expect(mine).toEqual([
      expect.objectContaining({ service: 'api-gateway', event: 'inject', type: 'cpu-burn', params: { ratio: 0.1 }, durationMs: 60_000 }),
      expect.objectContaining({ service: 'api-gateway', event: 'clear', type: 'cpu-burn', reason: 'deleted' }),
    ]);
  });
});
