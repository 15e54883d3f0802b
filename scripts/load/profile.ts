import { SandboxError } from '../core/errors.ts';
import type { ArrivalProfile, LoadEngine } from './schedule.ts';

/**
 * What a load run is (its profile) and what it yields (its summary), for both engines: the
 * built-in driver (driver.ts) and k6 (k6/), which import this and not each other.
 */

export interface RequestMixEntry {
  method: string;
  path: string;
  weight: number;
}

/**
 * What to send and when. The arrival schedule (ArrivalProfile: `executor`, `rate`, `startRate`,
 * `stages`, `durationSeconds`) defaults to a constant `rate` arrivals per second; open model
 * either way: arrivals do not wait for responses.
 */
export interface LoadProfile extends ArrivalProfile {
  /**
   * `builtin` (default): this process sends; `k6`: the k6 binary sends (scripts/load/k6/), or,
   * without one on the docker runtime, k6 in the grafana/k6 image (k6/container.ts).
   */
  engine?: LoadEngine;
  /**
   * The sandbox the load runs in, for the k6 engine: its runtime decides whether a missing k6
   * binary means the k6 image (docker) or an error (k6/way.ts); the image's container carries
   * the session's labels, so `sandbox down` and the runtime's stop remove it.
   */
  sandbox?: { runtime: string; labels: Readonly<Record<string, string>> };
  requests: readonly RequestMixEntry[];
  baseUrl: string;
  /** Body for a request; undefined sends none. */
  body?: (entry: RequestMixEntry, index: number) => unknown;
  /** Requests in flight beyond this are dropped and counted, so a stuck target cannot pile up sockets. */
  maxInFlight?: number;
  timeoutMs?: number;
}

export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  statusCounts: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

/**
 * Deterministic weighted round-robin: the same scenario sends the same mix every run. Request i
 * takes the slot (i·φ mod 1)·Σweights, a low-discrepancy sequence, so any window of requests
 * follows the weights closely. The k6 script embeds the same rule (k6/script.ts).
 */
export function pickRequest(requests: readonly RequestMixEntry[], i: number, totalWeight = requests.reduce((a, r) => a + r.weight, 0)): RequestMixEntry {
  const slot = ((i * 0.6180339887) % 1) * totalWeight;
  let acc = 0;
  for (const r of requests) {
    acc += r.weight;
    if (slot < acc) return r;
  }
  return requests[requests.length - 1]!;
}

/** Load is for this machine only: the sandbox never sends traffic anywhere else. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host) && !host.startsWith('127.')) {
    throw new SandboxError('INVALID_ARGUMENT', `load target ${url} is not a loopback address`, {
      hint: 'the sandbox sends load only to 127.0.0.1 / localhost',
    });
  }
}
