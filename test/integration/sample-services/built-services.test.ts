import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { prepareSandboxLauncher } from '../../../scripts/runtime/processes/host-entries.ts';
import { createSandbox, expectPredictTrace, postJson, ROOT, scrape, sleep, type ServiceProcess } from './harness.ts';

/**
 * The sample services as the sandbox starts them: from the host build (plain `node` on the
 * built entry, no tsx), not from source. Tracing must work exactly as from source: the HTTP
 * instrumentation patches `http` (server and client spans across the hop), log lines and
 * exemplars carry the trace id, paths resolved from import.meta (the shipped models) still work.
 */
describe('sample services started from the host build', () => {
  const sandbox = createSandbox();
  const spans: { service: string; traceId: string; spanId: string; parentSpanId?: string; kind: number; name: string }[] = [];
  let tempo: Server;
  let ml: ServiceProcess;
  let gw: ServiceProcess;

  beforeAll(async () => {
    tempo = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ service, ...s });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((ok) => tempo.listen(0, '127.0.0.1', () => ok()));
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(tempo.address() as { port: number }).port}`, OTEL_BSP_SCHEDULE_DELAY: '100' };
    ml = await sandbox.start('ml-service', env);
    gw = await sandbox.start('api-gateway', { ...env, ML_SERVICE_URL: ml.url }, { waitReady: true });
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await new Promise<void>((ok) => tempo?.close(() => ok()));
  });

  it('run from the build, not through tsx', async () => {
    const launcher = await prepareSandboxLauncher();
    expect(launcher.reason).toBeUndefined();
    expect(launcher.mode).toBe('built');
    for (const p of [ml, gw]) {
      const args = p.child.spawnargs.slice(1);
      expect(args).not.toContain('tsx');
      expect(args.at(-1)).toBe(launcher.build!.entries.get(join(ROOT, 'sample-services', p.name, 'main.ts')));
      expect(args.at(-1)).toMatch(/\.mjs$/);
    }
  });

  it('trace one request across both services: spans exported, trace id in log lines and exemplars', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await postJson(`${gw.url}/predict`, makePredictRequest(9), { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect(res.status).toBe(200);

    // Each service exports its own batch: wait for both (server and client at the gateway, server and inference at ml-service).
    const arrived = () => new Set(spans.filter((s) => s.traceId === traceId).map((s) => `${s.service}/${s.kind}`)).size >= 4;
    for (let i = 0; i < 100 && !arrived(); i++) await sleep(100);
    expectPredictTrace(spans, traceId);

    for (const p of [gw, ml]) {
      expect(p.logLines().find((l) => l.msg === 'request completed' && l.trace_id === traceId)).toMatchObject({ service: p.name, level: 'info' });
      const om = await scrape(p.url, 'application/openmetrics-text');
      expect(om.text).toMatch(new RegExp(`http_server_request_duration_seconds_bucket\\{[^}]*\\} \\S+ # \\{[^}]*trace_id="${traceId}"`));
    }
  });
});
