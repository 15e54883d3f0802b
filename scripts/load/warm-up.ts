import { predictBodies } from './payloads.ts';

/**
 * POST /predict to api-gateway at `rate` per second until stopped: the traffic the services
 * take while a freshly reset Prometheus has not scraped yet (about 6 s). Without it the scenario's
 * load would start in front of Prometheus' first samples, and the services' own warm-up (JIT,
 * heap and buffers growing in the first seconds of traffic) would land in the history, where a
 * slope over a few samples reads it as a leak (MemoryLeakSuspected went pending at t ≈ 0.7 s and
 * fired below its modelled floor). The scenario's load takes over at the same rate.
 */
export function warmUp(gatewayUrl: string, rate: number): { stop(): Promise<void> } {
  const next = predictBodies(7);
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(
    () => {
      const p = fetch(`${gatewayUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(next()),
        signal: AbortSignal.timeout(2000),
      })
        .then((r) => r.body?.cancel())
        .catch(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    1000 / Math.min(Math.max(rate, 1), 50),
  );
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
