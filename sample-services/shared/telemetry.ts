import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
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
 * Starts tracing: the global context manager, W3C propagator and tracer provider that the
 * services' spans (http-tracing.ts, model.inference) and log lines' trace ids use.
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
  // The SDK's parts wired by hand, as sdk-trace's README shows, instead of NodeSDK: importing
  // NodeSDK loads every exporter it could build from the environment (gRPC, protobuf, Zipkin,
  // Prometheus, metrics and logs SDKs): measured on 2 cores (medians of 7 alternated fresh node
  // processes), importing `@opentelemetry/sdk-node` with instrumentation-http and the OTLP trace
  // exporter took 427 ms and left 84 MiB resident, against 192 ms and 63 MiB for these parts with
  // the same exporter, in every service process and on every cold start; and its per-request
  // tracing cost more (http-tracing.ts). Neither package is a dependency any more.
  // What NodeSDK would add and the services do not want: resource detectors (the resource is
  // otel-env.ts's), a meter and logger provider from the environment (Prometheus scrapes
  // prom-client; logs ship through log-shipping.ts) and instrumentations (HTTP spans are made at
  // the services' seams, http-tracing.ts, not by patching `http`).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // NodeSDK's default propagators (OTEL_PROPAGATORS=tracecontext,baggage): W3C traceparent and baggage.
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ ...options.attributes, [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    // Flushes queued spans (BatchSpanProcessor.shutdown exports what is left), but never lets a
    // slow or dead collector hold up process exit.
    shutdown: () => Promise.race([provider.shutdown().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 500).unref())]),
  };
}

/** `${base}/v1/traces`, the OTLP/HTTP traces path under a base endpoint (OTel exporter spec). */
export function tracesUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

const OPERATIONAL = ['metrics', 'health', 'ready', 'chaos', 'admin'];

/**
 * Endpoints that are not user traffic: no traces, no HTTP histogram, no request logs. `/name`
 * followed by the end, `/` or `?`. String compares rather than a regular expression: it runs up to
 * three times per request in each service (profiled at ~6 µs a request in ml-service as a regex).
 */
export function isOperationalPath(url: string): boolean {
  if (url.charCodeAt(0) !== 47 /* / */) return false;
  for (const name of OPERATIONAL) {
    if (!url.startsWith(name, 1)) continue;
    const next = url.charCodeAt(name.length + 1);
    if (Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */) return true;
  }
  return false;
}
