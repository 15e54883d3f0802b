import { refuseUnrunnableK6, type K6PreflightDeps } from '../load/k6/preflight.ts';
import { parseRuntimeChoice } from '../runtime/select-runtime.ts';
import type { Scenario } from './model.ts';

/**
 * Scenarios whose load engine cannot run where they would run are refused before anything
 * starts, not seconds into a scenario after the services came up. `runtime`: where they will
 * run (`auto` is resolved the way the runtime selection does). The builtin engine needs nothing;
 * k6 needs its binary, or on the docker runtime its image (load/k6/preflight.ts).
 */
export async function checkLoadEngines(scenarios: readonly Scenario[], runtime: string, deps: K6PreflightDeps = {}): Promise<void> {
  // A running sandbox's or an attached run's runtime as it is; a --runtime value checked as the start would.
  await refuseUnrunnableK6(scenarios, runtime === 'attached' ? 'attached' : parseRuntimeChoice(runtime), deps);
}
