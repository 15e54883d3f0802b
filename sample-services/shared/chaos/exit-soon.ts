import type { Logger } from 'pino';

/**
 * What a dying process still sends. In a real deployment a log collector reads a crashed
 * container's stdout, so its last line reaches Loki; here the process ships its own lines
 * (log-shipping.ts), so an abrupt exit first hands over what is queued, within a short cap.
 */
let lastWords: (() => Promise<void>) | undefined;
const LAST_WORDS_CAP_MS = 300;

export function setLastWords(fn: (() => Promise<void>) | undefined): void {
  lastWords = fn;
}

/**
 * Ends the process the way a real failure would: abruptly, with a non-zero code, after the
 * response that triggered it has left. Returns a cancel function.
 */
export function exitSoon(log: Logger, code: number, afterMs: number, why: string): () => void {
  const timer = setTimeout(() => {
    log.fatal({ exit_code: code }, why);
    if (!lastWords) process.exit(code);
    const cap = new Promise<void>((resolve) => setTimeout(resolve, LAST_WORDS_CAP_MS));
    void Promise.race([lastWords().catch(() => undefined), cap]).then(() => process.exit(code));
  }, afterMs);
  return () => clearTimeout(timer);
}
