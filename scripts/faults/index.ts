import type { FaultType } from './catalog.ts';
import { chaosApiInjector } from './chaos-api.ts';
import { crashLoopInjector } from './crash-loop.ts';
import type { FaultInjector } from './types.ts';

const injectors: readonly FaultInjector[] = [chaosApiInjector, crashLoopInjector];

export function injectorFor(type: FaultType): FaultInjector {
  const injector = injectors.find((i) => i.types.includes(type));
  if (!injector) throw new Error(`no injector handles fault type ${type}`);
  return injector;
}
