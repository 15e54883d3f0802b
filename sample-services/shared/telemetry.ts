import { NodeSDK, resources, tracing } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP base URL; without it spans are still created (trace ids in logs and exemplars) but not exported. */
  otlpEndpoint?: string | undefined;
  /** Tests pass an in-memory exporter here. */
  exporter?: tracing.SpanExporter;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing. Must run before `http` is first required (the HTTP instrumentation patches it
 * on load), so entry files import the app only after this resolves.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const exporter = options.exporter ?? (options.otlpEndpoint ? new OTLPTraceExporter({ timeoutMillis: 2000 }) : undefined);
  const processor = options.exporter
    ? new tracing.SimpleSpanProcessor(options.exporter)
    : exporter
      ? // Batching keeps export off the request path; a dead collector only drops spans.
        new tracing.BatchSpanProcessor(exporter, { maxQueueSize: 2048, exportTimeoutMillis: 2000 })
      : // No collector: spans still get ids, so logs and exemplars correlate, but nothing leaves.
        new tracing.NoopSpanProcessor();
  const sdk = new NodeSDK({
    resource: resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    autoDetectResources: false,
    spanProcessors: [processor],
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
    // Never let a slow or dead collector hold up process exit.
    shutdown: () => Promise.race([sdk.shutdown().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 250).unref())]),
  };
}

/** Endpoints that are not user traffic: no traces, no HTTP histogram, no request logs. */
export function isOperationalPath(url: string): boolean {
  return /^\/(metrics|health|ready|chaos|admin)(\/|\?|$)/.test(url);
}
