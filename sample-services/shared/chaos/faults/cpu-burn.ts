import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import type { FaultDefinition } from '../types.ts';

const WINDOW_MS = 50;

/**
 * Busy-loops on the main thread for `ratio` of every window, like a runaway computation: CPU
 * time rises and the event loop lags, so requests slow down as they would in a real incident.
 */
export const cpuBurnFault: FaultDefinition<typeof faultParamSchemas['cpu-burn']> = {
  type: 'cpu-burn',
  params: faultParamSchemas['cpu-burn'],
  start(params) {
    const busyMs = params.ratio * WINDOW_MS;
    const timer = setInterval(() => {
      const until = performance.now() + busyMs;
      while (performance.now() < until) {
        // spin: this is the fault
      }
    }, WINDOW_MS);
    return { stop: () => clearInterval(timer) };
  },
};
