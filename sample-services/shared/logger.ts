import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * JSON lines to stdout (the supervisor redirects it to the service's log file). Every line
 * written while a span is active carries its trace_id and span_id, so Loki → Tempo works;
 * request loggers add correlation_id (see http-server.ts).
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  });
}
