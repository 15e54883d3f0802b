import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * JSON lines to stdout (the supervisor redirects it to the service's log file). Every line
 * written while a span is active carries its trace_id and span_id, so Loki → Tempo works;
 * request loggers add correlation_id (see http-server.ts). With `ship` (log-shipping.ts, when
 * OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set) the same lines also go to Loki as OTLP logs.
 */
export function createLogger(service: string, level: string, ship?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  };
  return ship ? pino(options, alsoTo(ship)) : pino(options, stdoutSync());
}

/**
 * stdout, written synchronously. pino's default destination writes asynchronously: one fs.write
 * through libuv's thread pool per line whenever the previous one has finished, which on a service
 * idling between requests is every line, and cost the gateway ~0.2 ms of CPU per request
 * (profiled). stdout is the service's log file (the supervisor redirects it), where a write of
 * one line takes a few microseconds, and a line written before a crash is never lost.
 */
function stdoutSync(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

/** stdout (synchronously, see stdoutSync) and `extra`; both get every line the logger's own level lets through. */
export function alsoTo(extra: DestinationStream): pino.MultiStreamRes {
  return pino.multistream([
    { level: 'trace', stream: stdoutSync() },
    { level: 'trace', stream: extra },
  ]);
}
