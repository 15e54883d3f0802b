import { readConfig, type ServiceConfig } from './config.ts';
import type { ServiceModule } from './service.ts';
import { serviceResource } from './otel-env.ts';
import { startTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.ts';

export interface RunningService {
  url: string;
  config: ServiceConfig;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Tests supply an in-memory span exporter; otherwise OTEL_EXPORTER_OTLP_ENDPOINT decides (and OTEL_EXPORTER_OTLP_LOGS_ENDPOINT for logs). */
  exporter?: TelemetryOptions['exporter'];
  /** When tracing is already set up in this process (two services in one test process). */
  skipTelemetry?: boolean;
}

/**
 * Starts a sample service: tracing first, then everything that loads `http` (dynamic imports,
 * so the tracer provider exists before any module takes its tracer), then listen and the crash-loop checks.
 */
export async function startService(defaultName: string, load: () => Promise<ServiceModule>, options: StartOptions = {}): Promise<RunningService> {
  const env = options.env ?? process.env;
  const config = readConfig(defaultName, env);
  // The name in traces, OTLP logs, log lines and CloudWatch: OTEL_SERVICE_NAME and
  // OTEL_RESOURCE_ATTRIBUTES as OpenTelemetry defines them, else SERVICE_NAME. The sandbox sets
  // OTEL_SERVICE_NAME to the catalog name (supervisor.ts), the name its scrape targets carry as
  // `service`; SERVICE_NAME keeps keying the chaos state, whatever the telemetry says.
  const resource = serviceResource(env, config.SERVICE_NAME);
  let telemetry: Telemetry | undefined;
  if (config.signals.traces && !options.skipTelemetry) {
    telemetry = startTelemetry({ serviceName: resource.serviceName, attributes: resource.attributes, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, exporter: options.exporter, env });
  }
  // Log lines also go to Loki (OTLP) when OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set; the exporter is loaded only then.
  const logsEndpoint = config.signals.logs ? config.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT : undefined;
  const [{ createLogger }, { createMetrics }, { resumeCrashLoop }, { exitSoon, setLastWords }, module, shipping] = await Promise.all([
    import('./logger.ts'),
    import('./metrics.ts'),
    import('./chaos/faults/crash-loop.ts'),
    import('./chaos/exit-soon.ts'),
    load(),
    logsEndpoint ? import('./log-shipping.ts').then((m) => m.startLogShipping({ serviceName: resource.serviceName, attributes: resource.attributes, endpoint: logsEndpoint, env })) : undefined,
  ]);
  const log = createLogger(resource.serviceName, config.signals.logs ? config.LOG_LEVEL : 'warn', shipping?.stream);
  if (resource.problem) log.warn(resource.problem);
  setLastWords(shipping ? () => shipping.shutdown(300) : undefined);
  const metrics = createMetrics({ collectRuntime: config.signals.metrics });
  const service = await module.build({ config, env, log, metrics });
  // CloudWatch metrics when AWS_ENDPOINT_URL is set (LocalStack); the SDK loads only then. Before listen: it adds a hook.
  const cloudwatch = config.signals.metrics && env.AWS_ENDPOINT_URL ? (await import('./aws/cloudwatch.ts')).startCloudWatchMetrics({ app: service.app, service: resource.serviceName, env, log }) : undefined;
  // listen() answers with the bound address, which tells the real port when PORT=0.
  const url = await service.app.listen({ host: config.HOST, port: config.PORT });
  log.info({ url, instrumentation: config.SANDBOX_INSTRUMENTATION }, `${resource.serviceName} listening`);

  // Crash-loop support both ways: the supervisor's env setting, and a loop injected via the chaos API.
  if (config.SANDBOX_CRASH_AFTER_MS !== undefined) {
    exitSoon(log, 1, config.SANDBOX_CRASH_AFTER_MS, 'fatal error: process crashed (crash loop)');
  }
  resumeCrashLoop(config.SANDBOX_STATE_DIR, config.SERVICE_INSTANCE, service.faults, log);

  return {
    url,
    config,
    async stop() {
      // Faults are not cleared: in-memory ones die with the process, a crash loop must outlive it.
      await service.close?.();
      await service.app.close();
      await cloudwatch?.stop();
      // Both flush what they queued (within half a second each, in parallel).
      await Promise.all([shipping?.shutdown(), telemetry?.shutdown()]);
    },
  };
}

/** Entry-file helper: start, and exit cleanly within a second on SIGTERM/SIGINT. */
export async function main(defaultName: string, load: () => Promise<ServiceModule>): Promise<void> {
  let running: RunningService;
  try {
    running = await startService(defaultName, load);
  } catch (e) {
    process.stderr.write(`${defaultName} failed to start: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  }
  const shutdown = () => {
    // In-flight requests get what is left of the second; then the process goes regardless.
    setTimeout(() => process.exit(0), 900).unref();
    void running.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
