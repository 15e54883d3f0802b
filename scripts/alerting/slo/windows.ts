/** Window arithmetic for multiwindow, multi-burn-rate SLO alerts. */

/** Every window holds at least this many scrape intervals, so a rate() always has samples to use. */
export const MIN_SCRAPES_PER_WINDOW = 4;

/**
 * A real-time window at a scale: multiplied by the time factor, rounded up to a whole second,
 * and at least MIN_SCRAPES_PER_WINDOW scrape intervals.
 */
export function scaleWindow(seconds: number, timeFactor: number, scrapeSeconds: number): number {
  if (!(seconds > 0) || !(timeFactor > 0) || !(scrapeSeconds > 0)) {
    throw new Error(`scaleWindow: positive numbers expected (window ${seconds}s, factor ${timeFactor}, scrape ${scrapeSeconds}s)`);
  }
  const scaled = Math.ceil(seconds * timeFactor - 1e-9);
  return Math.max(scaled, Math.ceil(MIN_SCRAPES_PER_WINDOW * scrapeSeconds - 1e-9));
}

const UNITS: [string, number][] = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/** Whole seconds as a Prometheus duration: 30s, 5m, 1h, 1d, 1m30s. */
export function formatWindow(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`formatWindow: a positive whole number of seconds expected, got ${seconds}`);
  let rest = seconds;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** The share of events allowed to be bad: 1 - objective, for an objective in percent. */
export function errorBudget(objectivePercent: number): number {
  return roundFloat(1 - objectivePercent / 100);
}

/** Drop float noise (1 - 0.999 = 0.0010000000000000009) so generated thresholds read as written. */
export function roundFloat(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * A regex for a histogram `le` value that both Prometheus 2.x (keeps the exposition's text,
 * e.g. "1" or "0.5") and 3.x (normalises to a float text, e.g. "1.0") store:
 * 0.5 → 0[.]50*, 1 → 1([.]0+)?. `[.]` is a literal dot without backslash escapes.
 */
export function leMatcherRegex(threshold: number): string {
  const text = String(threshold);
  if (!Number.isFinite(threshold) || threshold <= 0 || /e/i.test(text)) {
    throw new Error(`latency threshold ${threshold}: expected a positive number written without an exponent`);
  }
  return text.includes('.') ? `${text.replace('.', '[.]')}0*` : `${text}([.]0+)?`;
}
