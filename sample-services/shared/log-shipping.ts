import { SeverityNumber, type Logger as OtelLogger } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import pino, { type DestinationStream } from 'pino';
import { delayFromEnv } from './otel-env.ts';

/**
 * Ships a process's pino log lines as OTLP logs (OTLP/HTTP, JSON encoding) to an OTLP logs
 * endpoint: in the sandbox, Loki's native `POST /otlp/v1/logs`
 * (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, set by scripts/runtime/service-env/telemetry.ts when Loki
 * runs). Loki maps the OTLP record as follows (pkg/loghttp/push/otlp.go in Loki 3):
 * - resource `service.name` → the index label `service_name` (what the dashboards and Grafana's
 *   Tempo → Loki link select on);
 * - the record's trace and span id → structured metadata `trace_id`, `span_id` (Grafana's
 *   Loki → Tempo derived field);
 * - the body → the log line. The body is the unchanged JSON line the process also writes to
 *   stdout, so `| json` in LogQL works the same on Loki as on the log file.
 *
 * Records are batched (BatchLogRecordProcessor: one request per second at most by default,
 * OTEL_BLRP_* variables tune it), never one request per line; a slow or dead endpoint only drops
 * records. Only loaded when the variable is set: without it no exporter exists.
 */
export interface LogShipping {
  /** A pino destination that turns every line it gets into an OTLP log record. */
  stream: DestinationStream;
  /** Sends what is queued, within `capMs`; never holds up process exit longer. */
  shutdown(capMs?: number): Promise<void>;
}

export interface LogShippingOptions {
  serviceName: string;
  /** The resource's other attributes (OTEL_RESOURCE_ATTRIBUTES, decoded by serviceResource in otel-env.ts). */
  attributes?: Record<string, string>;
  /** Full OTLP logs URL, e.g. http://127.0.0.1:3100/otlp/v1/logs (used as given, per the OTel spec for signal endpoints). */
  endpoint?: string;
  /** Tests may pass an exporter instead of an endpoint. */
  exporter?: LogRecordExporter;
  env?: NodeJS.ProcessEnv;
}

/** pino's numeric levels → OTel severity numbers (the log data model's TRACE..FATAL ranges). */
const SEVERITY: Record<number, SeverityNumber> = {
  10: SeverityNumber.TRACE,
  20: SeverityNumber.DEBUG,
  30: SeverityNumber.INFO,
  40: SeverityNumber.WARN,
  50: SeverityNumber.ERROR,
  60: SeverityNumber.FATAL,
};

/** pino sets lastLevel (and lastObj, lastMsg, lastTime) on a destination that carries this symbol, before each write. */
const PINO_METADATA = Symbol.for('pino.metadata');

export function startLogShipping(options: LogShippingOptions): LogShipping {
  const env = options.env ?? process.env;
  const exporter = options.exporter ?? new OTLPLogExporter({ url: options.endpoint, timeoutMillis: 2000 });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ ...options.attributes, [ATTR_SERVICE_NAME]: options.serviceName }),
    processors: [
      new BatchLogRecordProcessor({
        exporter,
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        scheduledDelayMillis: delayFromEnv(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000),
        exportTimeoutMillis: 2000,
      }),
    ],
  });
  const stream = new OtlpLogStream(provider.getLogger('pino'));
  return {
    stream,
    shutdown: (capMs = 500) => capped(provider.shutdown(), capMs),
  };
}

class OtlpLogStream implements DestinationStream {
  readonly [PINO_METADATA] = true;
  /** Set by pino (or pino.multistream) before each write. */
  lastLevel = 30;

  constructor(private readonly logger: OtelLogger) {}

  write(line: string): void {
    const level = this.lastLevel;
    // No context given: the SDK takes the active one, the same span the line's trace_id and
    // span_id came from (the logger's mixin reads the active span, and pino writes synchronously).
    this.logger.emit({
      severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
      severityText: pino.levels.labels[level],
      body: line.endsWith('\n') ? line.slice(0, -1) : line,
    });
  }
}

export function capped(work: Promise<unknown>, capMs: number): Promise<void> {
  return Promise.race([work.then(() => undefined, () => undefined), new Promise<void>((r) => setTimeout(r, capMs).unref())]);
}
