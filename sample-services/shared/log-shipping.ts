import { context, ROOT_CONTEXT, SeverityNumber, trace, type SpanContext } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
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
 * Records are batched (one request per second at most by default, or per
 * OTEL_BLRP_SCHEDULE_DELAY; see OtlpLogStream), never one request per line; a slow or dead
 * endpoint only drops records. Only loaded when the variable is set: without it no exporter exists.
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
  const stream = new OtlpLogStream(exporter, resourceFromAttributes({ ...options.attributes, [ATTR_SERVICE_NAME]: options.serviceName }), delayFromEnv(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000));
  return {
    stream,
    shutdown: (capMs = 500) => capped(stream.shutdown(), capMs),
  };
}

/** The batch limits of the SDK's BatchLogRecordProcessor as the services configured it before. */
const MAX_QUEUE = 2048;
const MAX_BATCH = 512;
const SCOPE = { name: 'pino' };
const NO_ATTRIBUTES = Object.freeze({});

/**
 * A pino destination that queues each line with what its OTLP record needs (level, time, the
 * active span's context) and builds the records only at export time, in batches. This replaces
 * the SDK's LoggerProvider + BatchLogRecordProcessor, which built a LogRecord per line on the
 * request path (attribute limits, context lookups, hrtime conversion: 14-22 µs per request per
 * service in issue 15's profile); the records the exporter gets are the same ReadableLogRecord
 * shape, serialised by the same OTLP exporter. Same limits: at most MAX_QUEUE lines wait (more
 * are dropped, as the SDK drops them), a batch of at most MAX_BATCH leaves every `delayMs` or as
 * soon as MAX_BATCH are queued, one export at a time; a slow or dead endpoint only drops lines.
 */
class OtlpLogStream implements DestinationStream {
  readonly [PINO_METADATA] = true;
  /** Set by pino before each write. */
  lastLevel = 30;
  private lines: string[] = [];
  private levels: number[] = [];
  private times: number[] = [];
  private spans: (SpanContext | undefined)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly exporter: LogRecordExporter,
    private readonly resource: Resource,
    private readonly delayMs: number,
  ) {}

  write(line: string): void {
    if (this.closed || this.lines.length >= MAX_QUEUE) return;
    this.lines.push(line);
    this.levels.push(this.lastLevel);
    this.times.push(Date.now());
    // The active span: the same one the line's trace_id and span_id came from (the logger's
    // mixin reads it, and pino writes synchronously).
    this.spans.push(trace.getActiveSpan()?.spanContext());
    if (this.lines.length >= MAX_BATCH) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.delayMs).unref();
  }

  /** Starts an export unless one is running (that one starts the next when it ends). */
  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.exporting || this.lines.length === 0) return;
    this.exporting = this.exportBatch().finally(() => {
      this.exporting = undefined;
      if (this.lines.length >= MAX_BATCH) this.kick();
      else if (this.lines.length > 0 && !this.closed) this.timer ??= setTimeout(() => this.kick(), this.delayMs).unref();
    });
  }

  private exportBatch(): Promise<void> {
    const n = Math.min(this.lines.length, MAX_BATCH);
    const lines = this.lines.splice(0, n);
    const levels = this.levels.splice(0, n);
    const times = this.times.splice(0, n);
    const spans = this.spans.splice(0, n);
    const observed = hrTimeOf(Date.now());
    const records: ReadableLogRecord[] = lines.map((line, i) => {
      const level = levels[i]!;
      return {
        hrTime: hrTimeOf(times[i]!),
        hrTimeObserved: observed,
        spanContext: spans[i],
        severityNumber: SEVERITY[level] ?? SeverityNumber.UNSPECIFIED,
        severityText: pino.levels.labels[level],
        body: line.endsWith('\n') ? line.slice(0, -1) : line,
        resource: this.resource,
        instrumentationScope: SCOPE,
        attributes: NO_ATTRIBUTES,
        droppedAttributesCount: 0,
      };
    });
    return new Promise<void>((resolve) => {
      // Off any span: the exporter's own HTTP request is not part of the request being logged.
      context.with(suppressTracing(ROOT_CONTEXT), () => this.exporter.export(records, () => resolve()));
    });
  }

  /** Exports everything queued (batch after batch), then the exporter's own shutdown. */
  async shutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.exporting || this.lines.length > 0) {
      if (!this.exporting) this.kick();
      await this.exporting;
    }
    this.closed = true;
    await this.exporter.shutdown();
  }
}

function hrTimeOf(ms: number): [number, number] {
  const s = Math.floor(ms / 1000);
  return [s, (ms - s * 1000) * 1e6];
}

export function capped(work: Promise<unknown>, capMs: number): Promise<void> {
  return Promise.race([work.then(() => undefined, () => undefined), new Promise<void>((r) => setTimeout(r, capMs).unref())]);
}
