import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import type { FaultDefinition } from '../types.ts';

/** Calls to one of this service's dependencies fail as if it were unreachable. */
export function dependencyOutageFault(dependencies: readonly string[]): FaultDefinition<typeof faultParamSchemas['dependency-outage']> {
  return {
    type: 'dependency-outage',
    params: faultParamSchemas['dependency-outage'],
    check: (params) =>
      dependencies.includes(params.dependency)
        ? null
        : `params.dependency: unknown dependency "${params.dependency}"; this service depends on: ${dependencies.join(', ')}`,
    start(params) {
      return { stop() {}, blocks: (dependency) => dependency === params.dependency };
    },
  };
}

/** The error a blocked call throws: what a refused TCP connection looks like to Node. */
export function connectionRefused(dependency: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`connect ECONNREFUSED (${dependency})`);
  err.code = 'ECONNREFUSED';
  return err;
}
