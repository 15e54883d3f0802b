import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { chaos, createSandbox, postJson, scrape, sleep, type ServiceProcess } from './harness.ts';

/** Both services up, a prediction through the gateway, the operational endpoints and JSON logs. */
describe('sample services', () => {
  const sandbox = createSandbox();
  let ml: ServiceProcess;
  let gw: ServiceProcess;

  beforeAll(async () => {
    ml = await sandbox.start('ml-service');
    gw = await sandbox.start('api-gateway', { ML_SERVICE_URL: ml.url }, { waitReady: true });
  });
  afterAll(() => sandbox.cleanup());

  it('answers /health and /ready on both services', async () => {
    for (const s of [ml, gw]) {
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await fetch(`${s.url}/ready`)).status).toBe(200);
    }
  });

  it('predicts through the gateway, keeping the correlation id', async () => {
    const req = makePredictRequest(42);
    const res = await postJson(`${gw.url}/predict`, req, { 'x-correlation-id': 'corr-123' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('corr-123');
    expect(res.body).toMatchObject({ engineId: req.engineId, cycle: req.cycle, modelVersion: 'v2', correlationId: 'corr-123' });
    expect(res.body.rul).toBeGreaterThanOrEqual(0);
    expect(res.body.interval[0]).toBeLessThanOrEqual(res.body.interval[1]);

    const health = (await fetch(`${gw.url}/engines/${req.engineId}/health`).then((r) => r.json())) as any;
    expect(health.lastPrediction.cycle).toBe(req.cycle);
    const engines = (await fetch(`${gw.url}/engines`).then((r) => r.json())) as unknown[];
    expect(engines).toHaveLength(20);
  });

  it('exposes the HTTP histogram without operational endpoints, in both formats', async () => {
    await postJson(`${gw.url}/predict`, makePredictRequest(1));
    const om = await scrape(gw.url, 'application/openmetrics-text; version=1.0.0');
    expect(om.contentType).toContain('application/openmetrics-text');
    expect(om.text.trimEnd().endsWith('# EOF')).toBe(true);
    expect(om.value('http_server_request_duration_seconds_count{http_request_method="POST",http_route="/predict",http_response_status_code="200"}')).toBeGreaterThanOrEqual(1);
    expect(om.text).toMatch(/http_server_request_duration_seconds_bucket\{[^}]*http_route="\/predict"[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/);
    expect(om.text).not.toMatch(/http_route="\/(metrics|health|ready|chaos)/);
    expect(om.text).not.toMatch(/service="/);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(om.text).toContain(name);
    }
    expect(om.text).toContain('circuit_breaker_state{dependency="ml-service"} 0');
    expect(om.text).toContain('dependency_up{dependency="ml-service"} 1');

    const prom = await scrape(ml.url);
    expect(prom.contentType).toContain('text/plain');
    expect(prom.text).not.toContain('# EOF');
    expect(prom.text).not.toContain('trace_id');
    expect(prom.text).toContain('# TYPE model_predictions_total counter');
    expect(prom.value('model_predictions_total{version="v2"}')).toBeGreaterThanOrEqual(2);
    expect(prom.value('model_info{version="v2"}')).toBe(1);
    expect(prom.sum('model_prediction_error_count{version="v2"}')).toBeGreaterThanOrEqual(2);
  });

  it('writes JSON log lines with service, level label, correlation and trace ids', async () => {
    await postJson(`${gw.url}/predict`, makePredictRequest(3), { 'x-correlation-id': 'log-check' });
    await sleep(100);
    const line = gw.logLines().find((l) => l.correlation_id === 'log-check' && l.msg === 'request completed');
    expect(line).toMatchObject({ service: 'api-gateway', level: 'info' });
    expect(line!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(line!.span_id).toMatch(/^[0-9a-f]{16}$/);
    // The correlation id travelled to ml-service, under the same trace.
    const mlLine = ml.logLines().find((l) => l.correlation_id === 'log-check');
    expect(mlLine).toMatchObject({ service: 'ml-service', trace_id: line!.trace_id });
  });

  it('refuses the chaos API without the token and changes nothing', async () => {
    const res = await chaos(ml.url, 'POST', '', { type: 'crash', params: {} }, null);
    expect(res.status).toBe(401);
    const wrong = await chaos(ml.url, 'POST', '', { type: 'crash', params: {} }, 'nope');
    expect(wrong.status).toBe(401);
    expect((await chaos(ml.url, 'GET', '')).body).toEqual([]);
    expect((await fetch(`${ml.url}/health`)).status).toBe(200);
  });

  it('crash: answers 202, exits with code 70 and stays down; the gateway turns unready', async () => {
    const res = await chaos(ml.url, 'POST', '', { type: 'crash', params: {} });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'crash', params: {}, expiresAt: null });
    const exit = await ml.exited;
    expect(exit.code).toBe(70);
    const predict = await postJson(`${gw.url}/predict`, makePredictRequest(5));
    expect(predict.status).toBe(503);
    expect((await fetch(`${gw.url}/ready`)).status).toBe(503);
  });
});
