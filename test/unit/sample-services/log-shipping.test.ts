import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLogShipping } from '../../../sample-services/shared/log-shipping.ts';

function memoryExporter() {
  const batches: ReadableLogRecord[][] = [];
  let shutdowns = 0;
  const exporter: LogRecordExporter = {
    export(records, done) {
      batches.push([...records]);
      setTimeout(() => done({ code: ExportResultCode.SUCCESS }), 1);
    },
    forceFlush: async () => {},
    shutdown: async () => {
      shutdowns += 1;
    },
  };
  return { exporter, batches, shutdowns: () => shutdowns };
}

describe('log shipping (OTLP records built at export time)', () => {
  beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => context.disable());

  it('ships each line unchanged with its level, time, resource and the active span, in batches', async () => {
    const mem = memoryExporter();
    const shipping = startLogShipping({ serviceName: 'svc', attributes: { 'deployment.environment': 'sandbox' }, exporter: mem.exporter, env: { OTEL_BLRP_SCHEDULE_DELAY: '60000' } });
    const log = pino({ base: { service: 'svc' } }, shipping.stream);
    const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    const before = Date.now();
    context.with(trace.setSpan(context.active(), span), () => log.info({ a: 1 }, 'inside'));
    log.warn('outside');
    expect(mem.batches).toHaveLength(0); // nothing leaves before the delay or a full batch
    await shipping.shutdown();
    expect(mem.shutdowns()).toBe(1);
    const records = mem.batches.flat();
    expect(records.map((r) => [r.severityText, r.severityNumber, JSON.parse(r.body as string).msg])).toEqual([
      ['info', 9, 'inside'],
      ['warn', 13, 'outside'],
    ]);
    expect(records[0]!.body).not.toMatch(/\n$/);
    expect(records[0]!.spanContext).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
    expect(records[1]!.spanContext).toBeUndefined();
    expect(records[0]!.resource.attributes).toEqual({ 'deployment.environment': 'sandbox', 'service.name': 'svc' });
    const ms = records[0]!.hrTime[0] * 1000 + records[0]!.hrTime[1] / 1e6;
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('sends a full batch at once, at most 512 records a request, and drops beyond 2048 waiting', async () => {
    const mem = memoryExporter();
    const shipping = startLogShipping({ serviceName: 'svc', exporter: mem.exporter, env: { OTEL_BLRP_SCHEDULE_DELAY: '60000' } });
    const log = pino({}, shipping.stream);
    for (let i = 0; i < 3000; i++) log.info({ i }, 'line');
    expect(mem.batches).toHaveLength(1); // the first full batch left at once
    await shipping.shutdown();
    expect(mem.batches.every((b) => b.length <= 512)).toBe(true);
    const shipped = mem.batches.flat().map((r) => JSON.parse(r.body as string).i as number);
    // 512 left at once, 2048 more waited; the rest were dropped, as the SDK's batch processor drops them.
    expect(shipped).toEqual(Array.from({ length: 512 + 2048 }, (_, i) => i));
  });

  it('exports on its delay while the process keeps running', async () => {
    const mem = memoryExporter();
    const shipping = startLogShipping({ serviceName: 'svc', exporter: mem.exporter, env: { OTEL_BLRP_SCHEDULE_DELAY: '20' } });
    pino({}, shipping.stream).info('soon');
    await new Promise((r) => setTimeout(r, 200));
    expect(mem.batches.flat().map((r) => JSON.parse(r.body as string).msg)).toEqual(['soon']);
    await shipping.shutdown();
  });
});
