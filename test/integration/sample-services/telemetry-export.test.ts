import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { isPortFree } from '../../../scripts/runtime/processes/ports.ts';
import { chaos, createSandbox, expectPredictTrace, freePort, hostArgs, postJson, ROOT, sleep, type ServiceProcess } from './harness.ts';

/**
 * The sample services' telemetry export, end to end from real service processes: spans as OTLP
 * JSON to `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` (Tempo), log lines as OTLP JSON to
 * OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (Loki's native `/otlp/v1/logs`).
 *
 * Loki and Tempo cannot run here (no binaries on PATH, no Docker engine), so small HTTP servers
 * stand in for Tempo's OTLP/HTTP receiver and Loki's OTLP logs endpoint: they answer 200 and
 * record what arrives. What Loki makes of a record (service.name → label service_name, the
 * record's trace/span id → structured metadata trace_id/span_id, body → line) is Loki's own
 * mapping (pkg/loghttp/push/otlp.go), so the assertions are on those OTLP fields.
 */

interface Received {
  path: string;
  contentType: string;
  body: any;
}

interface StandIn {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

async function standIn(port = 0): Promise<StandIn> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      let body: unknown = raw.toString('utf8');
      try {
        body = JSON.parse(body as string);
      } catch {
        // keep the text: the assertions will show it
      }
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const { port: bound } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${bound}`,
    received,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Polls `check` until it stops throwing (generously: export is batched), then returns its value. */
async function until<T>(check: () => T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

type Attr = { key: string; value: { stringValue?: string } };
const attr = (attrs: Attr[] | undefined, key: string) => attrs?.find((a) => a.key === key)?.value.stringValue;

interface FlatSpan {
  service: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

function spansOf(tempo: StandIn): FlatSpan[] {
  return tempo.received.flatMap((r) =>
    ((r.body?.resourceSpans ?? []) as any[]).flatMap((rs) =>
      ((rs.scopeSpans ?? []) as any[]).flatMap((ss) =>
        ((ss.spans ?? []) as any[]).map((s) => ({ ...s, service: attr(rs.resource?.attributes, 'service.name') }) as FlatSpan),
      ),
    ),
  );
}

interface FlatLog {
  service: string | undefined;
  traceId?: string;
  spanId?: string;
  severityText?: string;
  severityNumber?: number;
  line: string;
}

function logsOf(loki: StandIn): FlatLog[] {
  return loki.received.flatMap((r) =>
    ((r.body?.resourceLogs ?? []) as any[]).flatMap((rl) =>
      ((rl.scopeLogs ?? []) as any[]).flatMap((sl) =>
        ((sl.logRecords ?? []) as any[]).map((l) => ({
          service: attr(rl.resource?.attributes, 'service.name'),
          traceId: l.traceId,
          spanId: l.spanId,
          severityText: l.severityText,
          severityNumber: l.severityNumber,
          line: l.body?.stringValue,
        })),
      ),
    ),
  );
}

/** A W3C traceparent with a trace id the test chose, so the trace to look for is known. */
function traceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

async function startPair(sandbox: ReturnType<typeof createSandbox>, env: Record<string, string>): Promise<{ ml: ServiceProcess; gw: ServiceProcess }> {
  const ml = await sandbox.start('ml-service', env);
  const gw = await sandbox.start('api-gateway', { ...env, ML_SERVICE_URL: ml.url }, { waitReady: true });
  return { ml, gw };
}

async function stop(p: ServiceProcess): Promise<void> {
  p.kill('SIGTERM');
  const { code } = await p.exited;
  expect(code).toBe(0);
}

function exportEnv(tempo: StandIn, loki: StandIn, delayMs: number): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: tempo.url,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${loki.url}/otlp/v1/logs`,
    OTEL_BSP_SCHEDULE_DELAY: String(delayMs),
    OTEL_BLRP_SCHEDULE_DELAY: String(delayMs),
  };
}

/** The contract both variants check: one trace across both services, and its log lines in Loki's shape. */
function expectTraceAndLogs(tempo: StandIn, loki: StandIn, traceId: string, processes: ServiceProcess[]): void {
  for (const r of tempo.received) {
    expect(r.path).toBe('/v1/traces');
    expect(r.contentType).toContain('application/json');
  }
  for (const r of loki.received) {
    expect(r.path).toBe('/otlp/v1/logs');
    expect(r.contentType).toContain('application/json');
  }

  expectPredictTrace(spansOf(tempo), traceId);

  const logs = logsOf(loki);
  for (const p of processes) {
    const service = p.name;
    const records = logs.filter((l) => l.service === service && l.traceId === traceId);
    const completed = records.find((l) => JSON.parse(l.line).msg === 'request completed');
    expect(completed, `${service}: ${JSON.stringify(records)}`).toBeDefined();
    // The body is the unchanged JSON line of the log file: trace_id, span_id, service, level, msg.
    const line = JSON.parse(completed!.line) as Record<string, unknown>;
    expect(line).toMatchObject({ trace_id: traceId, span_id: completed!.spanId, service, level: 'info', msg: 'request completed' });
    expect(completed).toMatchObject({ severityText: 'info', severityNumber: 9 });
    expect(p.output().split('\n')).toContain(completed!.line);
    // Every shipped record is one of the process's own lines.
    for (const l of logs.filter((x) => x.service === service)) expect(p.output()).toContain(l.line);
  }
}

describe('telemetry export to Tempo and Loki (stand-ins)', () => {
  describe('while the services run', () => {
    const sandbox = createSandbox();
    let tempo: StandIn;
    let loki: StandIn;
    let ml: ServiceProcess;
    let gw: ServiceProcess;

    beforeAll(async () => {
      [tempo, loki] = await Promise.all([standIn(), standIn()]);
      ({ ml, gw } = await startPair(sandbox, exportEnv(tempo, loki, 100)));
    });
    afterAll(async () => {
      await sandbox.cleanup();
      await Promise.all([tempo?.close(), loki?.close()]);
    });

    it('a request through the gateway arrives as one trace from both services, with its log lines carrying that trace id', async () => {
      const { traceId, header } = traceparent();
      const res = await postJson(`${gw.url}/predict`, makePredictRequest(7), { traceparent: header });
      expect(res.status).toBe(200);
      await until(() => expectTraceAndLogs(tempo, loki, traceId, [gw, ml]));
    });
  });

  describe('on SIGTERM', () => {
    const sandbox = createSandbox();
    let tempo: StandIn;
    let loki: StandIn;

    beforeAll(async () => {
      [tempo, loki] = await Promise.all([standIn(), standIn()]);
    });
    afterAll(async () => {
      await sandbox.cleanup();
      await Promise.all([tempo?.close(), loki?.close()]);
    });

    it('flushes what it batched, in a few requests rather than one per line or span', async () => {
      // A batch delay far beyond this test's length: anything that arrives came from the shutdown flush.
      const { ml, gw } = await startPair(sandbox, exportEnv(tempo, loki, 600_000));
      const { traceId, header } = traceparent();
      expect((await postJson(`${gw.url}/predict`, makePredictRequest(3), { traceparent: header })).status).toBe(200);
      for (let i = 0; i < 20; i++) expect((await postJson(`${gw.url}/predict`, makePredictRequest(100 + i))).status).toBe(200);
      expect(tempo.received).toEqual([]);
      expect(loki.received).toEqual([]);

      await stop(gw);
      await stop(ml);
      // The processes have exited; what they flushed has been answered, so it is recorded already.
      expectTraceAndLogs(tempo, loki, traceId, [gw, ml]);
      const logs = logsOf(loki);
      for (const service of ['api-gateway', 'ml-service']) {
        const lines = logs.filter((l) => l.service === service && JSON.parse(l.line).msg === 'request completed');
        expect(lines.length).toBeGreaterThanOrEqual(21);
      }
      // Batched: 21 requests make at least 42 request lines and 80 spans, sent in one request per
      // service and signal (a batch holds up to 512).
      expect(loki.received.length).toBeLessThanOrEqual(2);
      expect(tempo.received.length).toBeLessThanOrEqual(2);
      expect(spansOf(tempo).length).toBeGreaterThanOrEqual(80);
    });
  });

  describe('on a crash', () => {
    const sandbox = createSandbox();
    let tempo: StandIn;
    let loki: StandIn;

    beforeAll(async () => {
      [tempo, loki] = await Promise.all([standIn(), standIn()]);
    });
    afterAll(async () => {
      await sandbox.cleanup();
      await Promise.all([tempo?.close(), loki?.close()]);
    });

    it('still hands its last lines, the fatal one included, to Loki before it dies', async () => {
      // As above, nothing would leave before the batch delay: only the dying process's hand-over can send it.
      const ml = await sandbox.start('ml-service', exportEnv(tempo, loki, 600_000));
      expect((await chaos(ml.url, 'POST', '', { type: 'crash', params: {} })).status).toBe(202);
      expect((await ml.exited).code).toBe(70);
      const fatal = logsOf(loki).filter((l) => l.service === 'ml-service' && JSON.parse(l.line).level === 'fatal');
      expect(fatal.map((l) => JSON.parse(l.line).msg)).toEqual(['fatal error: process crashed']);
    });
  });

  describe('without the variables', () => {
    const sandbox = createSandbox();
    const standIns: StandIn[] = [];

    beforeAll(async () => {
      // Also on OTLP's default port (what an exporter built without a URL would use), when free.
      standIns.push(await standIn());
      if (await isPortFree(4318)) standIns.push(await standIn(4318).catch(() => standIn()));
    });
    afterAll(async () => {
      await sandbox.cleanup();
      await Promise.all(standIns.map((s) => s.close()));
    });

    it('exports nothing, and still logs JSON lines with trace ids to stdout', async () => {
      const { ml, gw } = await startPair(sandbox, {});
      const { traceId, header } = traceparent();
      expect((await postJson(`${gw.url}/predict`, makePredictRequest(5), { traceparent: header })).status).toBe(200);
      for (let i = 0; i < 5; i++) await postJson(`${gw.url}/predict`, makePredictRequest(200 + i));
      await stop(gw);
      await stop(ml);
      for (const p of [gw, ml]) {
        expect(p.logLines().find((l) => l.msg === 'request completed' && l.trace_id === traceId)).toMatchObject({ service: p.name, level: 'info' });
      }
      for (const s of standIns) expect(s.received).toEqual([]);
    });
  });

  describe('with OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', () => {
    const sandbox = createSandbox();
    let tempo: StandIn;
    let loki: StandIn;

    beforeAll(async () => {
      [tempo, loki] = await Promise.all([standIn(), standIn()]);
    });
    afterAll(async () => {
      await sandbox.cleanup();
      await Promise.all([tempo?.close(), loki?.close()]);
    });

    const resources = (r: StandIn, key: 'resourceSpans' | 'resourceLogs') =>
      r.received.flatMap((x) => ((x.body?.[key] ?? []) as any[]).map((rs) => Object.fromEntries((rs.resource?.attributes as Attr[]).map((a) => [a.key, a.value.stringValue]))));

    it('names the service and its resource as OpenTelemetry defines them, in traces, OTLP logs and log lines alike', async () => {
      const ml = await sandbox.start('ml-service', {
        ...exportEnv(tempo, loki, 600_000),
        OTEL_SERVICE_NAME: 'rul-predictor',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=overridden,deployment.environment.name=ci%2Clab,service.namespace=predictive%20maintenance',
      });
      expect((await postJson(`${ml.url}/predict`, makePredictRequest(9))).status).toBe(200);
      await stop(ml);
      const want = { 'service.name': 'rul-predictor', 'deployment.environment.name': 'ci,lab', 'service.namespace': 'predictive maintenance' };
      expect(resources(tempo, 'resourceSpans').length).toBeGreaterThan(0);
      for (const r of resources(tempo, 'resourceSpans')) expect(r).toMatchObject(want);
      expect(resources(loki, 'resourceLogs').length).toBeGreaterThan(0);
      for (const r of resources(loki, 'resourceLogs')) expect(r).toMatchObject(want);
      // The JSON lines say the same name Loki files them under (service_name).
      const lines = ml.logLines();
      expect(lines.find((l) => l.msg === 'request completed')).toMatchObject({ service: 'rul-predictor' });
      for (const l of lines) expect(l.service).toBe('rul-predictor');
    });

    it('a malformed OTEL_RESOURCE_ATTRIBUTES is discarded whole and said in the log; the service keeps its name', async () => {
      const ml = await sandbox.start('ml-service', { OTEL_RESOURCE_ATTRIBUTES: 'service.name=other,team=a=b' });
      await stop(ml);
      const lines = ml.logLines();
      expect(lines.find((l) => l.level === 'warn' && /^OTEL_RESOURCE_ATTRIBUTES ignored: "team=a=b" is not key=value/.test(String(l.msg))), JSON.stringify(lines)).toBeDefined();
      for (const l of lines) expect(l.service).toBe('ml-service');
    });
  });

  describe('the platform receivers (same shipping as the sample services)', () => {
    let loki: StandIn;
    let kill = () => {};

    beforeAll(async () => {
      loki = await standIn();
    });
    afterAll(async () => {
      kill();
      await loki?.close();
    });

    it('ship the sink\'s and the controller\'s JSON lines each under its own service name from their one process, and flush them on SIGTERM', async () => {
      const child = spawn(process.execPath, await hostArgs('scripts/alerting/receivers-main.ts'), {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          PORT_NOTIFICATION_SINK: String(await freePort()),
          PORT_REMEDIATION_CONTROLLER: String(await freePort()),
          SANDBOX_CONTROL_URL: 'http://127.0.0.1:9',
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${loki.url}/otlp/v1/logs`,
          OTEL_BLRP_SCHEDULE_DELAY: '600000',
        },
      });
      kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      };
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
      await until(() => expect(out).toContain('remediation controller listening'));
      process.kill(-child.pid!, 'SIGTERM');
      expect(await exited).toBe(0);

      const logs = logsOf(loki);
      for (const [service, listening] of [
        ['notification-sink', 'notification sink listening'],
        ['remediation-controller', 'remediation controller listening'],
      ] as const) {
        const own = logs.filter((l) => l.service === service);
        expect(own.map((l) => JSON.parse(l.line).msg)).toEqual(expect.arrayContaining([listening, 'shutting down']));
      }
      for (const l of logs) {
        expect(JSON.parse(l.line)).toMatchObject({ service: l.service });
        expect(out.split('\n')).toContain(l.line);
      }
      expect(new Set(logs.map((l) => l.service))).toEqual(new Set(['notification-sink', 'remediation-controller']));
      expect(loki.received.every((r) => r.path === '/otlp/v1/logs')).toBe(true);
    });
  });
});
