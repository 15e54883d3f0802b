/** Prometheus-style durations ("500ms", "30s", "2m", "1h30m"), as scenarios and rule files write them. */
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;

export const DURATION_PATTERN = /^(\d+(\.\d+)?(ms|s|m|h|d|w|y))+$/;

/** Seconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  if (!DURATION_PATTERN.test(text)) return null;
  PART.lastIndex = 0;
  let total = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return Math.round(total * 1000) / 1000;
}

export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 120) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
}
