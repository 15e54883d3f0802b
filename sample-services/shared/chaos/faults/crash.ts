import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import { exitSoon } from '../exit-soon.ts';
import type { FaultDefinition } from '../types.ts';

/** Exit code of a crash fault, distinct from crash-loop's 1 so the timeline can tell them apart. */
export const CRASH_EXIT_CODE = 70;

/** The process dies shortly after answering 202 and stays down until something restarts it. */
export const crashFault: FaultDefinition<typeof faultParamSchemas.crash> = {
  type: 'crash',
  params: faultParamSchemas.crash,
  status: 202,
  start(_params, ctx) {
    const cancel = exitSoon(ctx.log, CRASH_EXIT_CODE, 100, 'fatal error: process crashed');
    return { stop: cancel };
  },
};
