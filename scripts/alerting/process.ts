import pino, { type Logger } from 'pino';

/**
 * What the sandbox's own receivers (notification sink, remediation controller) share as
 * processes: their log format and how they stop.
 */

/** JSON lines to stdout, in the fields every sandbox process logs (service, level, msg, time). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** On SIGTERM or SIGINT: close each resource in order (once), then exit 0. */
export function stopOnSignals(logger: Logger, closers: readonly (() => Promise<unknown>)[]): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      for (const close of closers) await close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
