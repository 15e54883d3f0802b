import { SandboxError } from '../core/errors.ts';
import { findK6 } from '../load/k6/binary.ts';
import { chooseK6Way } from '../load/k6/way.ts';
import type { Scenario } from './model.ts';

/**
 * Scenarios whose load engine cannot run where they would run are refused before anything
 * starts, not seconds into a scenario after the services came up. `runtime`: where they will
 * run (`auto` is resolved the way the runtime selection does, by asking for a Docker engine).
 */
export async function checkLoadEngines(scenarios: readonly Scenario[], runtime: string): Promise<void> {
  const k6 = scenarios.filter((s) => s.load.engine === 'k6' && s.load.rate > 0);
  if (k6.length === 0) return;
  const binary = findK6();
  if (binary) return;
  let resolved = runtime;
  if (runtime === 'auto') {
    const { probeDockerEngine } = await import('../runtime/docker/engine.ts');
    resolved = (await probeDockerEngine()).available ? 'docker' : 'native';
  }
  const way = chooseK6Way({ binary, runtime: resolved });
  if (way.kind !== 'missing') return;
  throw new SandboxError('BINARY_MISSING', `${k6.map((s) => s.file).join(', ')}: load.engine is k6, but the k6 binary was not found on PATH (runtime ${resolved})`, {
    hint: way.error.hint,
  });
}
