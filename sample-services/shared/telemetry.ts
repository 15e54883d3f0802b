import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { delayFromEnv } from './otel-env.ts';

export interface TelemetryOptions {
  serviceName: string;
  /** The resource's other attributes (OTEL_RESOURCE_ATTRIBUTES, decoded by serviceResource in otel-env.ts). */
  attributes?: Record<string, string>;
  /**
   * OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT: Tempo's OTLP HTTP receiver in the sandbox);
   * spans go to `${otlpEndpoint}/v1/traces` as OTLP JSON. Without it spans are still created
   * (trace ids in logs and exemplars) but nothing is exported and no exporter exists.
   */
  otlpEndpoint?: string | undefined;
  /** Tests pass an in-memory exporter here. */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing. Must run before `http` is first required (the HTTP instrumentation patches it
 * on load), so entry files import the app only after this resolves.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  // The URL is given explicitly: the options may come from another env than process.env, and the
  // exporter would otherwise read process.env itself.
  const exporter =
    options.exporter ?? (options.otlpEndpoint ? new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint), timeoutMillis: 2000 }) : undefined);
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : exporter
      ? // Batching keeps export off the request path (one request per second at most, or per
        // OTEL_BSP_SCHEDULE_DELAY); a dead collector only drops spans.
        new BatchSpanProcessor({
          exporter,
          maxQueueSize: 2048,
          maxExportBatchSize: 512,
          scheduledDelayMillis: delayFromEnv(env, 'OTEL_BSP_SCHEDULE_DELAY', 1000),
          exportTimeoutMillis: 2000,
        })
      : // No collector: spans still get ids, so logs and exemplars correlate, but nothing leaves.
        new NoopSpanProcessor();
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ ...options.attributes, [ATTR_SERVICE_NAME]: options.serviceName }),
    autoDetectResources: false,
    spanProcessors: [processor],
    // Logs are shipped by log-shipping.ts, only when OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set.
    // An empty list stops NodeSDK from building its env default (an OTLP log exporter to
    // OTEL_EXPORTER_OTLP_ENDPOINT/v1/logs, which would be Tempo).
    logRecordProcessors: [],
    // Metrics are prom-client's, scraped at /metrics. Without an explicit empty list NodeSDK
    // builds its env default (OTEL_METRICS_EXPORTER: an OTLP exporter to
    // OTEL_EXPORTER_OTLP_ENDPOINT/v1/metrics, i.e. Tempo, or to localhost:4318 with no endpoint).
    metricReaders: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would drown the traces of real requests.
        ignoreIncomingRequestHook: (req) => isOperationalPath(req.url ?? ''),
        ignoreOutgoingRequestHook: (req) => isOperationalPath(req.path ?? ''),
      }),
    ],
  });
  sdk.start();
  return {
    // Flushes queued spans (BatchSpanProcessor.shutdown exports what is left), but never lets a
    // slow or dead collector hold up process exit.
    shutdown: () => Promise.race([sdk.shutdown().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 500).unref())]),
  };
}

/** `${base}/v1/traces`, the OTLP/HTTP traces path under a base endpoint (OTel exporter spec). */
export function tracesUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** Endpoints that are not user traffic: no traces, no HTTP histogram, no request logs. */
export function isOperationalPath(url: string): boolean {
  return /^\/(metrics|health|ready|chaos|admin)(\/|\?|$)/.test(url);
}
