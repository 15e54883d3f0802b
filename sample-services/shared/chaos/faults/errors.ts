import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import type { FaultDefinition } from '../types.ts';

/** Fails a `ratio` share of public requests with `status` (default 500). */
export const errorsFault: FaultDefinition<typeof faultParamSchemas.errors> = {
  type: 'errors',
  params: faultParamSchemas.errors,
  start(params) {
    const status = params.status ?? 500;
    return {
      stop() {},
      beforeRequest: () => (Math.random() < params.ratio ? status : undefined),
    };
  },
};
