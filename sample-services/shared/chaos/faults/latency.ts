import { setTimeout as sleep } from 'node:timers/promises';
import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import { parseDuration } from '../../../../scripts/core/duration.ts';
import type { FaultDefinition } from '../types.ts';

/** Slows public requests: `delay` plus up to `jitter`, for a `ratio` share, optionally one route only. */
export const latencyFault: FaultDefinition<typeof faultParamSchemas.latency> = {
  type: 'latency',
  params: faultParamSchemas.latency,
  start(params) {
    const delayMs = parseDuration(params.delay)! * 1000;
    const jitterMs = params.jitter ? parseDuration(params.jitter)! * 1000 : 0;
    const ratio = params.ratio ?? 1;
    return {
      stop() {},
      async beforeRequest(req) {
        if (params.route && params.route !== req.route && params.route !== req.path) return undefined;
        if (Math.random() >= ratio) return undefined;
        await sleep(delayMs + Math.random() * jitterMs);
        return undefined;
      },
    };
  },
};
