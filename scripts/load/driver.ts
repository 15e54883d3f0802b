import hdr from 'hdr-histogram-js';
import { SandboxError } from '../core/errors.ts';
import { findK6 } from './k6/binary.ts';
import { chooseK6Way, type K6Way } from './k6/way.ts';
import { arrivalTimes, type ArrivalProfile, type LoadEngine } from './schedule.ts';

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

/**
 * Open-model load: request i is sent when the schedule says (i / rate seconds for a constant
 * rate) whatever happened to earlier ones, as real users arrive, so a slow service shows up as
 * latency and errors rather than as less load. With `engine: 'k6'` the same profile is run by
 * k6 instead (scripts/load/k6/runner.ts) and summarised in the same shape.
 */
export class LoadDriver {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });
  private readonly summary: Omit<LoadSummary, 'latencyMs'> = { sent: 0, ok: 0, failed: 0, dropped: 0, statusCounts: {} };
  private inFlight = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private finish: (() => void) | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private readonly k6: Exclude<K6Way, { kind: 'missing' }> | undefined;

  constructor(private readonly profile: LoadProfile) {
    assertLoopback(profile.baseUrl);
    if (profile.engine === 'k6') {
      // Fail before the scenario starts rather than when the load should begin.
      const way = chooseK6Way({ binary: findK6(), runtime: profile.sandbox?.runtime });
      if (way.kind === 'missing') throw way.error;
      this.k6 = way;
    }
  }

  /**
   * Work that must not delay the load once a scenario's clock runs: k6 in a container (docker
   * runtime, no k6 binary) pulls its image now.
   * Nothing for the builtin engine or a k6 binary.
   */
  async prepare(): Promise<void> {
    if (this.k6?.kind !== 'container') return;
    const { prepareK6Container } = await import('./k6/container.ts');
    await prepareK6Container(this.k6.image);
  }

  /** Resolves when the duration has passed (or stop() was called) and in-flight requests settled. */
  async run(): Promise<LoadSummary> {
    if (this.k6?.kind === 'binary') {
      const { runK6 } = await import('./k6/runner.ts');
      if (this.stopped) return this.result();
      return runK6(this.profile, { signal: this.controller.signal, binary: this.k6.binary });
    }
    if (this.k6?.kind === 'container') {
      const { runK6InContainer } = await import('./k6/container.ts');
      if (this.stopped) return this.result();
      return runK6InContainer(this.profile, { signal: this.controller.signal, labels: this.profile.sandbox?.labels ?? {} });
    }
    const { durationSeconds } = this.profile;
    // Bounded in count (the schedule is finite) and in time (the loop ends at the duration).
    const arrivals = arrivalTimes(this.profile);
    const start = performance.now();
    const weights = this.profile.requests.map((r) => r.weight);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    let next = 0;
    let due = arrivals.next();
    await new Promise<void>((resolve) => {
      // stop() clears the timer, so it must be able to end the wait itself.
      this.finish = resolve;
      const tick = () => {
        if (this.stopped) return resolve();
        const elapsed = (performance.now() - start) / 1000;
        while (!due.done && due.value <= elapsed) {
          this.fire(this.pick(next, totalWeight), next);
          next += 1;
          due = arrivals.next();
        }
        if (due.done || elapsed >= durationSeconds) return resolve();
        // Timers are coarse; catching up in the loop above keeps the arrival count exact.
        this.timer = setTimeout(tick, Math.max(1, Math.min(50, (due.value - elapsed) * 1000)));
      };
      tick();
    });
    await Promise.allSettled([...this.pending]);
    return this.result();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.finish?.();
    this.controller.abort();
  }

  private pick(i: number, totalWeight: number): RequestMixEntry {
    return pickRequest(this.profile.requests, i, totalWeight);
  }

  private fire(entry: RequestMixEntry, index: number): void {
    if (this.inFlight >= (this.profile.maxInFlight ?? 256)) {
      this.summary.dropped += 1;
      return;
    }
    this.inFlight += 1;
    this.summary.sent += 1;
    const body = this.profile.body?.(entry, index);
    const started = performance.now();
    const p = fetch(`${this.profile.baseUrl}${entry.path}`, {
      method: entry.method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.profile.timeoutMs ?? 5000)]),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        this.count(String(res.status), res.status < 500);
      })
      .catch((e: Error) => this.count(e.name === 'TimeoutError' ? 'timeout' : 'connection-error', false))
      .finally(() => {
        this.histogram.recordValue(Math.max(1, Math.round(performance.now() - started)));
        this.inFlight -= 1;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  private count(status: string, ok: boolean): void {
    this.summary.statusCounts[status] = (this.summary.statusCounts[status] ?? 0) + 1;
    if (ok) this.summary.ok += 1;
    else this.summary.failed += 1;
  }

  private result(): LoadSummary {
    const h = this.histogram;
    return {
      ...this.summary,
      statusCounts: { ...this.summary.statusCounts },
      latencyMs: {
        p50: h.getValueAtPercentile(50),
        p95: h.getValueAtPercentile(95),
        p99: h.getValueAtPercentile(99),
        max: h.maxValue,
      },
    };
  }
}
