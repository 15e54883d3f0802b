import { parseDuration } from '../core/duration.ts';
import type { FaultType } from './catalog.ts';

/**
 * What each fault does to the sandbox's signals, for the detection model
 * (scripts/scenario/detection-model.ts): how long after the fault's start it is in effect
 * (its onset, or ramp), which signals it moves, and by how much where that is known from its
 * params. The numbers come from the implementations named beside them; a fault that moves a
 * signal in a way not described here is treated as moving it by an unknown amount, which the
 * model bounds by its full range window.
 */

/** The signals the model tells apart, by the metric they are read from (the metric names of docs/contracts.md, Telemetry). */
export type SignalKind =
  | 'requests' // http_server_request_duration_seconds_count, all statuses
  | 'errors' // the same with a 5xx http_response_status_code
  | 'latency' // http_server_request_duration_seconds_bucket/_sum
  | 'up' // up
  | 'probe' // probe_* (blackbox exporter)
  | 'restarts' // process_restarts_total (supervisor)
  | 'cpu' // process_cpu_seconds_total
  | 'memory' // process_resident_memory_bytes, nodejs_heap_*
  | 'eventloop' // nodejs_eventloop_lag_*
  | 'model' // model_* (ml-service)
  | 'dependency' // dependency_up, circuit_breaker_state (api-gateway)
  | 'other';

export interface Span {
  min: number;
  max: number;
}

export interface FaultEffect {
  /** From the fault's start until it is in effect in the faulted process. */
  onset: Span;
  /** What the onset is, in words (the model's explanation quotes it). */
  onsetWhy: string;
  /** Signals it moves; null: any signal (the process is gone or restarting). */
  moves: ReadonlySet<SignalKind> | null;
  /** Share of requests answered 5xx, per service, where the fault fixes it. */
  errorRatio?: Record<string, number>;
  /** Share of requests that the fault slows down (latency). */
  slowShare?: number;
  /** Resident memory growth, bytes per second (memory-leak). */
  memoryBytesPerSecond?: number;
  /** When the k-th restart (k = 1, 2, ...) happens at the earliest and latest (crash-loop). */
  restartsAt?: Span[];
}

/**
 * How long a sample service takes from spawn to ready (native build; under the scenario's load
 * on a busy two-core machine). Bounds the restarts of a crash loop.
 */
export const SERVICE_START_SECONDS: Span = { min: 0.2, max: 1.5 };
/** scripts/faults/crash-loop.ts: every start exits this long after it is ready. */
export const CRASH_LOOP_EXIT_AFTER_SECONDS = 1.5;
/** scripts/runtime/supervisor.ts: restart back-off 0.5 s, doubling, at most 5 s. */
export const RESTART_BACKOFF_SECONDS = (step: number): number => Math.min(5, 0.5 * 2 ** step);

/** api-gateway's background probe of ml-service (sample-services/api-gateway/app.ts): every 2 s, 0.5 s timeout. */
const DEPENDENCY_PROBE_SECONDS = 2.5;
/** api-gateway's circuit breaker opens after 5 failed calls (sample-services/api-gateway/app.ts). */
const BREAKER_FAILURES = 5;

export interface EffectInput {
  type: FaultType;
  service: string;
  params: Record<string, unknown>;
  /** Requests per second the load sends (the peak for a ramp). */
  requestRate: number;
  /** Share of the load's requests that reach ml-service (POST /predict's weight). */
  predictShare: number;
}

const set = (...kinds: SignalKind[]) => new Set<SignalKind>(kinds);

export function faultEffect(f: EffectInput): FaultEffect {
  // The next request after the fault's start: within one inter-arrival time.
  const nextRequest = f.requestRate > 0 ? 1 / f.requestRate : 0;
  switch (f.type) {
    case 'crash':
      return { onset: { min: 0, max: 0.2 }, onsetWhy: 'the process is killed', moves: null };
    case 'crash-loop': {
      // The injection restarts the process at once (restart 1); each start then exits 1.5 s after
      // it is ready, and the supervisor restarts it after a back-off of 0.5 s, 1 s, 2 s, ...
      const restartsAt: Span[] = [{ min: 0, max: 0.5 }];
      for (let k = 1; k < 6; k++) {
        const prev = restartsAt[k - 1]!;
        const gap = CRASH_LOOP_EXIT_AFTER_SECONDS + RESTART_BACKOFF_SECONDS(k - 1);
        restartsAt.push({ min: prev.min + SERVICE_START_SECONDS.min + gap, max: prev.max + SERVICE_START_SECONDS.max + gap });
      }
      return { onset: { min: 0, max: 0.5 }, onsetWhy: 'the first restart', moves: null, restartsAt };
    }
    case 'errors': {
      const ratio = Number(f.params.ratio);
      const errorRatio: Record<string, number> = { [f.service]: ratio };
      // api-gateway answers an ml-service 5xx with a 502: the same share of its /predict calls.
      if (f.service === 'ml-service') errorRatio['api-gateway'] = ratio * f.predictShare;
      return { onset: { min: 0, max: nextRequest }, onsetWhy: 'the next request', moves: set('errors'), errorRatio };
    }
    case 'latency': {
      const delay = parseDuration(String(f.params.delay)) ?? 0;
      const share = typeof f.params.ratio === 'number' ? f.params.ratio : 1;
      return {
        // A slowed request is measured when it ends: `delay` after it starts.
        onset: { min: delay, max: delay + nextRequest },
        onsetWhy: `the first slowed request ends (${delay}s)`,
        moves: set('latency', 'eventloop'),
        slowShare: share,
      };
    }
    case 'bad-model':
      return { onset: { min: 0, max: 0.5 }, onsetWhy: 'the model version is loaded and serves the next request', moves: set('model') };
    case 'memory-leak': {
      const m = /^(\d+(?:\.\d+)?)(KB|MB|GB)\/s$/.exec(String(f.params.rate));
      // sample-services/shared/chaos/faults/memory-leak.ts counts in binary units.
      const units: Record<string, number> = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
      return {
        onset: { min: 0, max: 0.1 },
        onsetWhy: 'the first allocation (every 100 ms)',
        moves: set('memory', 'cpu', 'eventloop'),
        ...(m ? { memoryBytesPerSecond: Number(m[1]) * units[m[2]!]! } : {}),
      };
    }
    case 'cpu-burn':
      return { onset: { min: 0, max: 0.1 }, onsetWhy: 'the burn loop starts', moves: set('cpu', 'eventloop', 'latency') };
    case 'dependency-outage':
      return {
        // /predict fails at once; the circuit breaker opens after 5 failures; dependency_up
        // changes at the next background probe. The gateway's own traffic goes on (ml-service's
        // stops, which only lowers its rates).
        onset: { min: 0, max: Math.max(DEPENDENCY_PROBE_SECONDS, BREAKER_FAILURES * nextRequest) },
        onsetWhy: `the next call fails at once, the breaker opens after ${BREAKER_FAILURES} failures, the readiness probe runs every 2 s`,
        moves: set('errors', 'dependency', 'probe'),
        errorRatio: { [f.service]: f.predictShare },
      };
  }
}

/**
 * A load that falls (ramping-arrival-rate stages): the "fault" of a scenario that has none,
 * from the first stage whose target is below the rate before it.
 */
export function loadDropEffect(startRate: number, stages: readonly { target: number; durationSeconds: number }[]): { effect: FaultEffect } | null {
  let t = 0;
  let rate = startRate;
  for (const s of stages) {
    if (s.target < rate) {
      return {
        effect: {
          onset: { min: t, max: t + s.durationSeconds },
          onsetWhy: `the load falls from ${rate}/s to ${s.target}/s between ${t}s and ${t + s.durationSeconds}s`,
          moves: set('requests'),
        },
      };
    }
    t += s.durationSeconds;
    rate = s.target;
  }
  return null;
}
