import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { startService, type RunningService } from '../../../sample-services/shared/run.ts';
import { startTelemetry, type Telemetry } from '../../../sample-services/shared/telemetry.ts';
import { chaos, postJson, scrape } from './harness.ts';

/**
 * Both services in this process with the SDK's in-memory exporter: a trace started at the
 * gateway continues in ml-service through the real HTTP hop (W3C traceparent).
 */
describe('trace continuity gateway → ml-service', () => {
  const exporter = new InMemorySpanExporter();
  const stateDir = mkdtempSync(join(tmpdir(), 'sample-tracing-'));
  let telemetry: Telemetry;
  let ml: RunningService;
  let gw: RunningService;

  beforeAll(async () => {
    // Tracing first, then the services (which load fastify and http after it).
    telemetry = startTelemetry({ serviceName: 'sample-services-test', exporter });
    const env = { HOST: '127.0.0.1', PORT: '0', CHAOS_TOKEN: 't', SANDBOX_STATE_DIR: stateDir, LOG_LEVEL: 'warn' };
    ml = await startService('ml-service', () => import('../../../sample-services/ml-service/app.ts'), {
      env: { ...env, SERVICE_NAME: 'ml-service', MODEL_REGISTRY_DIR: join(stateDir, 'models') },
      skipTelemetry: true,
    });
    gw = await startService('api-gateway', () => import('../../../sample-services/api-gateway/app.ts'), {
      env: { ...env, SERVICE_NAME: 'api-gateway', ML_SERVICE_URL: ml.url },
      skipTelemetry: true,
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await ml?.stop();
    await telemetry?.shutdown();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('one trace spans gateway server, client, ml-service server and inference; exemplars carry it', async () => {
    exporter.reset();
    const res = await postJson(`${gw.url}/predict`, makePredictRequest(11));
    expect(res.status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const gwServer = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /predict' && !s.parentSpanContext);
    expect(gwServer, spans.map((s) => s.name).join(', ')).toBeDefined();
    const traceId = gwServer!.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const client = inTrace.find((s) => s.kind === SpanKind.CLIENT);
    const mlServer = inTrace.find((s) => s.kind === SpanKind.SERVER && s !== gwServer);
    const inference = inTrace.find((s) => s.name === 'model.inference');
    expect(client?.parentSpanContext?.spanId).toBe(gwServer!.spanContext().spanId);
    expect(mlServer?.parentSpanContext?.spanId).toBe(client!.spanContext().spanId);
    expect(mlServer?.attributes['http.route']).toBe('/predict');
    expect(inference?.parentSpanContext?.spanId).toBe(mlServer!.spanContext().spanId);
    expect(inference?.attributes['model.version']).toBe('v2');

    for (const base of [gw.url, ml.url]) {
      const om = await scrape(base, 'application/openmetrics-text');
      expect(om.text).toContain(`trace_id="${traceId}"`);
    }
  });

  it('spans follow the HTTP semantic conventions: names, kinds, attributes', async () => {
    exporter.reset();
    expect((await postJson(`${gw.url}/predict?explain=0`, makePredictRequest(12), { 'user-agent': 'tracing-test/1' })).status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const gwServer = spans.find((s) => s.kind === SpanKind.SERVER && !s.parentSpanContext)!;
    const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const mlServer = spans.find((s) => s.kind === SpanKind.SERVER && s !== gwServer)!;
    const gwPort = Number(new URL(gw.url).port);
    const mlUrl = new URL(ml.url);
    expect(gwServer.name).toBe('POST /predict');
    expect(gwServer.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/predict',
      'http.response.status_code': 200,
      'url.path': '/predict',
      'url.query': 'explain=0',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': gwPort,
      'client.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'tracing-test/1',
    });
    expect(gwServer.attributes['error.type']).toBeUndefined();
    expect(gwServer.status.code).toBe(SpanStatusCode.UNSET);
    expect(client.name).toBe('POST');
    expect(client.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': mlUrl.hostname,
      'server.port': Number(mlUrl.port),
      'url.full': `${ml.url}/predict`,
    });
    expect(mlServer.name).toBe('POST /predict');
    expect(mlServer.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/predict', 'http.response.status_code': 200 });
  });

  it('continues a trace from an incoming W3C traceparent and passes it on', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    expect((await postJson(`${gw.url}/predict`, makePredictRequest(13), { traceparent: `00-${traceId}-${parentId}-01` })).status).toBe(200);
    const spans = exporter.getFinishedSpans();
    const gwServer = spans.find((s) => s.kind === SpanKind.SERVER && s.parentSpanContext?.spanId === parentId);
    expect(gwServer, spans.map((s) => `${s.name} ${s.parentSpanContext?.spanId}`).join(', ')).toBeDefined();
    expect(gwServer!.spanContext().traceId).toBe(traceId);
    expect(gwServer!.parentSpanContext?.isRemote).toBe(true);
    // Every span of the request, both services', is in the caller's trace.
    expect(spans.map((s) => s.spanContext().traceId)).toEqual(spans.map(() => traceId));
    expect(spans.length).toBe(4);
  });

  it('an ml-service 5xx is an error on its server span and on the gateway client span; a 404 is not the server’s error', async () => {
    expect((await chaos(ml.url, 'POST', '', { type: 'errors', params: { ratio: 1, status: 503 } }, 't')).status).toBe(201);
    try {
      exporter.reset();
      const res = await postJson(`${gw.url}/predict`, makePredictRequest(14));
      expect(res.status).toBeGreaterThanOrEqual(500);
      const spans = exporter.getFinishedSpans();
      const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
      const mlServer = spans.find((s) => s.kind === SpanKind.SERVER && s.parentSpanContext?.spanId === client.spanContext().spanId)!;
      expect(mlServer.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
      expect(mlServer.status.code).toBe(SpanStatusCode.ERROR);
      expect(client.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
      expect(client.status.code).toBe(SpanStatusCode.ERROR);
    } finally {
      await chaos(ml.url, 'DELETE', '', undefined, 't');
    }
    exporter.reset();
    expect((await fetch(`${gw.url}/no-such-route`)).status).toBe(404);
    const [notFound] = exporter.getFinishedSpans();
    expect(notFound?.name).toBe('GET');
    expect(notFound?.attributes['http.route']).toBeUndefined();
    expect(notFound?.attributes['http.response.status_code']).toBe(404);
    expect(notFound?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a refused call to ml-service is a client span with error.type and the exception', async () => {
    const down = await startService('api-gateway', () => import('../../../sample-services/api-gateway/app.ts'), {
      // A port nothing listens on: the first hop is refused.
      env: { HOST: '127.0.0.1', PORT: '0', CHAOS_TOKEN: 't', SANDBOX_STATE_DIR: stateDir, LOG_LEVEL: 'silent', SERVICE_NAME: 'api-gateway', ML_SERVICE_URL: 'http://127.0.0.1:9' },
      skipTelemetry: true,
    });
    try {
      exporter.reset();
      expect((await postJson(`${down.url}/predict`, makePredictRequest(15))).status).toBeGreaterThanOrEqual(500);
      const client = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT);
      expect(client?.attributes['error.type']).toBe('ECONNREFUSED');
      expect(client?.status.code).toBe(SpanStatusCode.ERROR);
      expect(client?.events.map((e) => e.name)).toContain('exception');
    } finally {
      await down.stop();
    }
  });

  it('probes and scrapes make no spans', async () => {
    exporter.reset();
    await fetch(`${gw.url}/ready`).then((r) => r.text());
    await fetch(`${ml.url}/metrics`).then((r) => r.text());
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
