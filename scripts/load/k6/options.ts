import type { ConstantArrivalRateScenario, Options, RampingArrivalRateScenario } from 'k6/options';
import { durationText, peakRate, type ArrivalProfile } from '../schedule.ts';

/**
 * The `options` export of the generated k6 script, typed with @types/k6 (`Options` from
 * 'k6/options', https://grafana.com/docs/k6/latest/using-k6/k6-options/) so a wrong key or
 * executor field fails `tsc`, not a k6 run. One scenario, named `load`:
 * - constant-arrival-rate: `rate` iterations per `timeUnit` for `duration`;
 * - ramping-arrival-rate: `startRate`, then `stages` of `{ target, duration }`, the rate moving
 *   linearly to each target; k6 ends the scenario after the last stage, so when the stages are
 *   shorter than the scenario a last stage holds the final target until `duration` ends.
 * One iteration sends one request, so iterations per second are requests per second. k6 rates are
 * integers: fractional rates use a longer `timeUnit` (10s, 100s, 1000s) instead of rounding.
 */
export interface K6OptionsInput extends ArrivalProfile {
  /** Upper bound of concurrent VUs, i.e. of requests in flight (the builtin's maxInFlight). */
  maxVUs?: number;
}

export const K6_SCENARIO_NAME = 'load';
export const DEFAULT_MAX_VUS = 256;
/** How long k6 lets in-flight iterations finish once the schedule ends. */
export const GRACEFUL_STOP = '5s';
/** Trend statistics in the summary export; p(99) is not in k6's default list. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

export type K6LoadScenario = ConstantArrivalRateScenario | RampingArrivalRateScenario;

/** Smallest multiplier (1, 10, 100, 1000) turning every rate into an integer per timeUnit. */
export function timeUnitScale(rates: readonly number[]): number {
  for (const m of [1, 10, 100, 1000]) {
    if (rates.every((r) => Math.abs(r * m - Math.round(r * m)) < 1e-9)) return m;
  }
  return 1000;
}

export function k6Scenario(p: K6OptionsInput): K6LoadScenario {
  const maxVUs = Math.max(1, p.maxVUs ?? DEFAULT_MAX_VUS);
  // Pre-allocate enough for ~250 ms of arrivals at the peak; k6 adds VUs up to maxVUs as needed.
  const preAllocatedVUs = Math.min(maxVUs, Math.max(2, Math.ceil(peakRate(p) / 4)));
  const common = { preAllocatedVUs, maxVUs, gracefulStop: GRACEFUL_STOP } as const;
  if ((p.executor ?? 'constant-arrival-rate') === 'constant-arrival-rate') {
    const m = timeUnitScale([p.rate]);
    return {
      executor: 'constant-arrival-rate',
      rate: Math.round(p.rate * m),
      timeUnit: `${m}s`,
      duration: durationText(p.durationSeconds),
      ...common,
    };
  }
  const startRate = p.startRate ?? 0;
  const stages = [...(p.stages ?? [])];
  const m = timeUnitScale([startRate, ...stages.map((s) => s.target)]);
  const total = stages.reduce((a, s) => a + s.durationSeconds, 0);
  const out = stages.map((s) => ({ target: Math.round(s.target * m), duration: durationText(s.durationSeconds) }));
  const last = stages.length > 0 ? stages[stages.length - 1]!.target : startRate;
  const hold = p.durationSeconds - total;
  if (hold > 1e-9) out.push({ target: Math.round(last * m), duration: durationText(hold) });
  return {
    executor: 'ramping-arrival-rate',
    startRate: Math.round(startRate * m),
    timeUnit: `${m}s`,
    stages: out,
    ...common,
  };
}

export function k6Options(p: K6OptionsInput): Options {
  return {
    scenarios: { [K6_SCENARIO_NAME]: k6Scenario(p) },
    // The builtin driver reads and drops bodies too; latency is to the last byte either way.
    discardResponseBodies: true,
    summaryTrendStats: SUMMARY_TREND_STATS,
    // Loopback only: a redirect must not take the load elsewhere.
    maxRedirects: 0,
    // The run's own `sent/failed/latency` come from the summary export; no thresholds, no cloud.
    noConnectionReuse: false,
  };
}

/** How long a k6 run may take before it is interrupted: the schedule, its graceful stop, and start-up and summary time. */
export function k6DeadlineMs(durationSeconds: number): number {
  return (durationSeconds + parseInt(GRACEFUL_STOP, 10) + 30) * 1000;
}
