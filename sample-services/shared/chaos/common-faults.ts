import { crashLoopFault } from './faults/crash-loop.ts';
import { cpuBurnFault } from './faults/cpu-burn.ts';
import { crashFault } from './faults/crash.ts';
import { dependencyOutageFault } from './faults/dependency-outage.ts';
import { errorsFault } from './faults/errors.ts';
import { latencyFault } from './faults/latency.ts';
import { memoryLeakFault } from './faults/memory-leak.ts';
import type { FaultDefinition } from './types.ts';

/** The faults every sample service supports; services add their own (bad-model). */
export function commonFaults(options: { stateDir: string; service: string; dependencies: readonly string[] }): FaultDefinition[] {
  return [
    latencyFault,
    errorsFault,
    crashFault,
    crashLoopFault(options.stateDir, options.service),
    memoryLeakFault,
    cpuBurnFault,
    dependencyOutageFault(options.dependencies),
  ] as FaultDefinition[];
}
