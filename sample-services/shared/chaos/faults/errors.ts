import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import type { FaultDefinition } from '../types.ts';

/**
 * Fails a `ratio` share of public requests with `status` (default 500), spread evenly: each
 * request adds `ratio` to a running share and one fails whenever it passes a whole. 1.2 % is 12
 * in every 1000, never a random cluster or drought, so how soon a burn-rate alert fires depends
 * on the rules, not on luck (coin flips at 1.2 % of 20 req/s moved slow-slo-burn's MTTD out of
 * its bounds).
 */
export const errorsFault: FaultDefinition<typeof faultParamSchemas.errors> = {
  type: 'errors',
  params: faultParamSchemas.errors,
  start(params) {
    const status = params.status ?? 500;
    // Half a period in: the first failure comes after half the usual gap, not a full one.
    let share = 0.5;
    return {
      stop() {},
      beforeRequest: () => {
        share += params.ratio;
        if (share < 1) return undefined;
        share -= 1;
        return status;
      },
    };
  },
};
