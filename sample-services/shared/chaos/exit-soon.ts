import type { Logger } from 'pino';

/**
 * Ends the process the way a real failure would: abruptly, with a non-zero code, after the
 * response that triggered it has left. Returns a cancel function.
 */
export function exitSoon(log: Logger, code: number, afterMs: number, why: string): () => void {
  const timer = setTimeout(() => {
    log.fatal({ exit_code: code }, why);
    process.exit(code);
  }, afterMs);
  return () => clearTimeout(timer);
}
