import type { Logger } from 'pino';

export interface BackgroundLoad {
  /** true once loaded; false if stopped first. */
  readonly done: Promise<boolean>;
  stop(): void;
}

/**
 * Runs `load` until it succeeds, backing off from 250 ms to 2 s between tries, without holding
 * up the caller: for a registry that may not answer yet (the docker runtime starts LocalStack
 * beside the services). Until then the service is live but not ready, and /predict answers 503.
 */
export function loadWhenReachable(load: () => Promise<void>, log: Logger, what: string): BackgroundLoad {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await load();
        if (attempt > 0) log.info({ attempts: attempt + 1 }, `model registry reachable: ${what}`);
        return true;
      } catch (e) {
        if (attempt === 0) log.warn({ err: (e as Error).message }, `model registry not reachable yet (${what}); retrying`);
        if (stopped) break;
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, Math.min(2_000, 250 * 2 ** attempt));
        });
      }
    }
    return false;
  })();
  return {
    done,
    stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    },
  };
}
