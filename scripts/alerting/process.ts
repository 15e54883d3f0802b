import pino, { type Logger } from 'pino';
import type { LogShipping } from '../../sample-services/shared/log-shipping.ts';
import { alsoTo } from '../../sample-services/shared/logger.ts';

/**
 * What the sandbox's own receivers (notification sink, remediation controller) share as
 * processes: their log format, how they start side by side, and how they stop.
 */

// Where Loki runs, the sandbox sets OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (scripts/runtime/service-env/
// telemetry.ts) and the receivers ship their lines there too, as the sample services do. The
// exporter code loads only then.
const logsEndpoint = process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT || undefined;
const shippingModule = logsEndpoint ? await import('../../sample-services/shared/log-shipping.ts') : undefined;
// One pipeline per service name: the receivers' shared process ships the sink's and the
// controller's lines each under their own service_name.
const shippings = new Map<string, LogShipping>();

/** JSON lines to stdout, in the fields every sandbox process logs (service, level, msg, time). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (!shippingModule) return pino(options);
  let shipping = shippings.get(service);
  if (!shipping) {
    shipping = shippingModule.startLogShipping({ serviceName: service, endpoint: logsEndpoint });
    shippings.set(service, shipping);
  }
  return pino(options, alsoTo(shipping.stream));
}

/** A receiver that listens: what it logs to, and what to close (in order) when the process stops. */
export interface StartedReceiver {
  logger: Logger;
  closers: readonly (() => Promise<unknown>)[];
}

/** A receiver that could not start, with the exit code its process ends with (2 bad settings, 1 could not listen). */
export class ReceiverStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Start receivers one after another in this process (the supervisor runs the notification sink
 * and the remediation controller in one: scripts/alerting/receivers-main.ts) and stop them all on
 * SIGTERM or SIGINT. If one cannot start, those already listening are closed and the process
 * exits with that receiver's code, its message on stderr; a process never half serves.
 */
export async function runReceivers(starts: readonly (() => Promise<StartedReceiver>)[]): Promise<void> {
  const started: StartedReceiver[] = [];
  for (const start of starts) {
    try {
      started.push(await start());
    } catch (e) {
      for (const r of started) for (const close of r.closers) await close().catch(() => undefined);
      await Promise.all([...shippings.values()].map((s) => s.shutdown()));
      const exitCode = e instanceof ReceiverStartError ? e.exitCode : 1;
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(exitCode);
    }
  }
  stopOnSignals(
    started.map((r) => r.logger),
    started.flatMap((r) => r.closers),
  );
}

/** On SIGTERM or SIGINT: close each resource in order (once), flush shipped logs, then exit 0. */
export function stopOnSignals(loggers: readonly Logger[], closers: readonly (() => Promise<unknown>)[]): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    for (const logger of loggers) logger.info({ signal }, 'shutting down');
    try {
      for (const close of closers) await close();
    } finally {
      await Promise.all([...shippings.values()].map((s) => s.shutdown()));
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
