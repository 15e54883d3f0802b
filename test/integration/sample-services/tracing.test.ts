import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { startService, type RunningService } from '../../../sample-services/shared/run.ts';
import { startTelemetry, type Telemetry } from '../../../sample-services/shared/telemetry.ts';
import { postJson, scrape } from './harness.ts';

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

  it('probes and scrapes make no spans', async () => {
    exporter.reset();
    await fetch(`${gw.url}/ready`).then((r) => r.text());
    await fetch(`${ml.url}/metrics`).then((r) => r.text());
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
