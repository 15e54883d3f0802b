/**
 * Arrival schedules, named after k6's arrival-rate executors so a scenario means the same with
 * either engine (`engine: builtin | k6`):
 * - `constant-arrival-rate`: `rate` arrivals per second for the whole duration.
 * - `ramping-arrival-rate`: starts at `startRate`; each stage moves the rate linearly from the
 *   previous stage's target (or startRate) to its own target over its duration; after the last
 *   stage the last target holds until the duration ends.
 * Pure functions of time: the driver asks them when the next request is due.
 */

export const EXECUTORS = ['constant-arrival-rate', 'ramping-arrival-rate'] as const;
export type Executor = (typeof EXECUTORS)[number];

export const LOAD_ENGINES = ['builtin', 'k6'] as const;
export type LoadEngine = (typeof LOAD_ENGINES)[number];

/** Highest arrival rate a scenario may ask for, in requests per second. */
export const MAX_RATE = 1000;

export interface Stage {
  /** Arrival rate (per second) reached at the end of the stage. */
  target: number;
  durationSeconds: number;
}

export interface ArrivalProfile {
  /** Default `constant-arrival-rate`. */
  executor?: Executor;
  /** Constant executor: the rate. Ignored by the ramping executor. */
  rate: number;
  /** Ramping executor: rate at the start (default 0). */
  startRate?: number;
  /** Ramping executor: the stages. */
  stages?: readonly Stage[];
  durationSeconds: number;
}

/** A piece of the schedule on which the rate is linear: from `from` at `start` to `to` at `end`. */
interface Segment {
  start: number;
  end: number;
  from: number;
  to: number;
}

function segments(p: ArrivalProfile): Segment[] {
  const end = Math.max(0, p.durationSeconds);
  if ((p.executor ?? 'constant-arrival-rate') === 'constant-arrival-rate') {
    return end > 0 ? [{ start: 0, end, from: p.rate, to: p.rate }] : [];
  }
  const out: Segment[] = [];
  let t = 0;
  let rate = p.startRate ?? 0;
  for (const s of p.stages ?? []) {
    if (t >= end) break;
    const stageEnd = t + s.durationSeconds;
    if (s.durationSeconds <= 0) {
      rate = s.target; // a zero-length stage jumps
      continue;
    }
    // Truncated at the scenario's end, at the rate reached by then.
    const cut = Math.min(stageEnd, end);
    out.push({ start: t, end: cut, from: rate, to: rate + ((s.target - rate) * (cut - t)) / s.durationSeconds });
    t = stageEnd;
    rate = s.target;
  }
  if (t < end) out.push({ start: t, end, from: rate, to: rate });
  return out;
}

/** Arrival rate (per second) at `t` seconds after the start; 0 outside [0, duration). */
export function rateAt(p: ArrivalProfile, t: number): number {
  for (const s of segments(p)) {
    if (t >= s.start && t < s.end) return s.from + ((s.to - s.from) * (t - s.start)) / (s.end - s.start);
  }
  return 0;
}

/** Highest rate the schedule reaches (for sizing: VUs, in-flight bounds, reports). */
export function peakRate(p: ArrivalProfile): number {
  return segments(p).reduce((m, s) => Math.max(m, s.from, s.to), 0);
}

const area = (s: Segment) => ((s.from + s.to) / 2) * (s.end - s.start);

/** Arrivals the schedule sends in all: the integral of the rate, rounded down. */
export function expectedArrivals(p: ArrivalProfile): number {
  return Math.floor(segments(p).reduce((a, s) => a + area(s), 0) + 1e-9);
}

/**
 * Arrival times in seconds from the start, ascending: arrival i comes when the integral of the
 * rate reaches i (so a constant rate r sends request i at i / r, as the driver always has).
 * Finite: exactly `expectedArrivals(p)` values, all before the duration ends.
 */
export function* arrivalTimes(p: ArrivalProfile): Generator<number, void, undefined> {
  const total = expectedArrivals(p);
  let i = 0;
  let before = 0; // integral up to the current segment's start
  for (const s of segments(p)) {
    const len = s.end - s.start;
    const a = area(s);
    const k = (s.to - s.from) / len;
    while (i < total && i - before < a - 1e-9) {
      const need = Math.max(0, i - before);
      // Solve from*x + k*x^2/2 = need for x in [0, len]; this form is stable for k = 0 and k < 0.
      const disc = Math.max(0, s.from * s.from + 2 * k * need);
      const denom = s.from + Math.sqrt(disc);
      const x = denom > 0 ? (2 * need) / denom : 0;
      yield s.start + Math.min(len, x);
      i += 1;
    }
    before += a;
  }
}

/** Prometheus-style duration text for k6 (`90s`, `1500ms`). */
export function durationText(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
