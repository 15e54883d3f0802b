import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { createSandbox, scrape, type ServiceProcess } from './harness.ts';

/** Bad input to the public API: a 4xx with a message naming the problem, counted, never a crash. */
describe('bad input to the public API', () => {
  const sandbox = createSandbox();
  let ml: ServiceProcess;
  let gw: ServiceProcess;

  beforeAll(async () => {
    ml = await sandbox.start('ml-service');
    gw = await sandbox.start('api-gateway', { ML_SERVICE_URL: ml.url }, { waitReady: true });
  });
  afterAll(() => sandbox.cleanup());

  const send = async (base: string, body: string, contentType = 'application/json') => {
    const res = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, body: (await res.json()) as { error: string } };
  };
  const valid = makePredictRequest(5);
  const without = (key: string) => JSON.stringify({ ...valid, [key]: undefined });

  it.each([
    ['malformed JSON', '{"engineId": "engine-1", ', 400, /JSON/],
    ['a JSON array', '[1,2,3]', 400, /body: expected a JSON object with engineId, cycle and sensors/],
    ['no engine id', without('engineId'), 400, /engineId: expected an engine id/],
    ['no sensors', without('sensors'), 400, /sensors: expected an object of sensor readings/],
    ['a missing sensor', JSON.stringify({ ...valid, sensors: { ...valid.sensors, t50: undefined } }), 400, /sensors\.t50: missing sensor reading/],
    ['a text sensor value', JSON.stringify({ ...valid, sensors: { ...valid.sensors, nc: 'high' } }), 400, /sensors\.nc: expected a finite number/],
    ['a negative cycle', JSON.stringify({ ...valid, cycle: -1 }), 400, /cycle/],
    ['a negative true RUL', JSON.stringify({ ...valid, trueRul: -3 }), 400, /trueRul/],
    ['an unknown engine', JSON.stringify({ ...valid, engineId: 'engine-999' }), 404, /unknown engine "engine-999"/],
  ])('gateway: %s', async (_name, body, status, message) => {
    const res = await send(gw.url, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(message);
  });

  it('rejects a plain-text body and unknown engine health', async () => {
    const text = await send(gw.url, 'engine-1', 'text/plain');
    expect(text.status).toBe(400);
    expect(text.body.error).toMatch(/expected a JSON object/);
    const res = await fetch(`${gw.url}/engines/nope/health`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/unknown engine "nope"/);
  });

  it('ml-service validates the same way', async () => {
    const res = await send(ml.url, JSON.stringify({ ...valid, sensors: { ...valid.sensors, p30: null } }));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/sensors\.p30/);
  });

  it('counts rejected requests in the HTTP histogram and keeps serving', async () => {
    const m = await scrape(gw.url);
    expect(m.value('http_server_request_duration_seconds_count{http_request_method="POST",http_route="/predict",http_response_status_code="400"}')).toBeGreaterThanOrEqual(8);
    expect(m.value('http_server_request_duration_seconds_count{http_request_method="POST",http_route="/predict",http_response_status_code="404"}')).toBeGreaterThanOrEqual(1);
    expect(m.value('http_server_request_duration_seconds_count{http_request_method="GET",http_route="/engines/:id/health",http_response_status_code="404"}')).toBe(1);
    const ok = await fetch(`${gw.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(valid) });
    expect(ok.status).toBe(200);
    expect(gw.child.exitCode).toBeNull();
    expect(ml.child.exitCode).toBeNull();
  });
});
