import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one way the sandbox waits for something outside it to happen, in the style of
 * testcontainers' wait strategies: a strategy says what to look at and what counts as done
 * (`Wait.forHttp(url)`, `Wait.until(what, probe)`); `waitFor` looks at it
 * until it is done, the time is up, the thing waited on is found dead (`failFast`), or the
 * signal aborts. A timeout fails with what was last observed, never a bare "timed out".
 *
 * Waiting for an event this process can subscribe to (a timeline, a child's exit, a pipe) needs
 * no strategy: subscribe. This is for what can only be looked at.
 */

/** One look: done (with what was found), or not yet (with what was seen instead). */
export type Observation<T> = { done: true; value: T } | { done: false; observed: string };

export interface WaitStrategy<T> {
  /** What is waited for, for messages: "http://127.0.0.1:9090/-/ready to answer 2xx". */
  readonly what: string;
  /** One look. A look that throws counts as "not yet", with the error's message observed. */
  check(): Promise<Observation<T>> | Observation<T>;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Between looks (default 100 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Looked at before each look: an error here fails at once (the process waited on died). */
  failFast?: () => Error | null;
  /** The error when the time is up, from what was last observed (default: a plain Error saying so). */
  onTimeout?: (observed: string, what: string) => Error;
}

export async function waitFor<T>(strategy: WaitStrategy<T>, options: WaitOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let observed = 'nothing yet';
  for (;;) {
    options.signal?.throwIfAborted();
    const fatal = options.failFast?.();
    if (fatal) throw fatal;
    try {
      const o = await strategy.check();
      if (o.done) return o.value;
      observed = o.observed;
    } catch (e) {
      observed = describeError(e);
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      throw options.onTimeout?.(observed, strategy.what) ?? new Error(`${strategy.what}: not within ${options.timeoutMs / 1000}s (last seen: ${observed})`);
    }
    // Aborted while asleep: fail with the signal's reason, as before a look.
    await sleep(Math.min(options.intervalMs ?? 100, left), undefined, options.signal ? { signal: options.signal } : undefined).catch((e: unknown) => {
      options.signal?.throwIfAborted();
      throw e;
    });
  }
}

export const Wait = {
  /** A probe that returns something (done, with it) or nothing (undefined, null, false: not yet). */
  until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, observe: () => string = () => 'not yet'): WaitStrategy<T> {
    return {
      what,
      async check() {
        const value = await probe();
        return value === undefined || value === null || value === false ? { done: false, observed: observe() } : { done: true, value };
      },
    };
  },

  /** An HTTP endpoint answering 2xx (or what `accept` accepts); each request gives up after `requestTimeoutMs`. */
  forHttp(url: string, options: { accept?: (status: number) => boolean; requestTimeoutMs?: number; init?: RequestInit } = {}): WaitStrategy<number> {
    const accept = options.accept ?? ((status: number) => status >= 200 && status < 300);
    return {
      what: `${url} to answer`,
      async check() {
        const res = await fetch(url, { ...options.init, signal: AbortSignal.timeout(options.requestTimeoutMs ?? 1000) });
        await res.body?.cancel();
        return accept(res.status) ? { done: true, value: res.status } : { done: false, observed: `HTTP ${res.status}` };
      },
    };
  },
};

/** A fetch failure says why in its cause (ECONNREFUSED), not in "fetch failed". */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.cause instanceof Error ? e.cause.message : e.message;
}
