import pino, { type Logger } from 'pino';
import type { LogShipping } from '../../sample-services/shared/log-shipping.ts';
import { alsoTo } from '../../sample-services/shared/logger.ts';

/**
 * What the sandbox's own receivers (notification sink, remediation controller) share as
 * processes: their log format and how they stop.
 */

// Where Loki runs, the sandbox sets OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (scripts/runtime/service-env/
// telemetry.ts) and the receivers ship their lines there too, as the sample services do. The
// exporter code loads only then.
const logsEndpoint = process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT || undefined;
const shippingModule = logsEndpoint ? await import('../../sample-services/shared/log-shipping.ts') : undefined;
let shipping: LogShipping | undefined;

/** JSON lines to stdout, in the fields every sandbox process logs (service, level, msg, time). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (!shippingModule) return pino(options);
  // One shipping pipeline per process, named after the first logger's service.
  shipping ??= shippingModule.startLogShipping({ serviceName: service, endpoint: logsEndpoint });
  return pino(options, alsoTo(shipping.stream));
}

/** On SIGTERM or SIGINT: close each resource in order (once), flush shipped logs, then exit 0. */
export function stopOnSignals(logger: Logger, closers: readonly (() => Promise<unknown>)[]): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      for (const close of closers) await close();
    } finally {
      await shipping?.shutdown();
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
