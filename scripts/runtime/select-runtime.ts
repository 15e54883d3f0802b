import { SandboxError } from '../core/errors.ts';
import { NativeRuntime } from './native/native-runtime.ts';
import type { PidRegistry } from './processes/pid-registry.ts';
import type { RuntimeName, StackRuntime } from './types.ts';

export type RuntimeChoice = Exclude<RuntimeName, 'attached'> | 'auto';

export interface RuntimeSelection {
  runtime: StackRuntime;
  /** Why this runtime: printed by `up`, so nobody wonders which stack they got. */
  reason: string;
}

export function parseRuntimeChoice(value: string): RuntimeChoice {
  if (value === 'auto' || value === 'native' || value === 'docker') return value;
  throw new SandboxError('INVALID_ARGUMENT', `unknown runtime "${value}"`, { hint: 'use --runtime auto, native or docker' });
}

/**
 * auto: docker where an engine answers (what most users run), native otherwise. The docker
 * modules load only when needed, so the native cold start does not pay for testcontainers.
 */
export async function selectRuntime(
  choice: RuntimeChoice,
  deps: { registry: PidRegistry; session: string; exposedHostPorts: number[]; labels: Record<string, string> },
): Promise<RuntimeSelection> {
  if (choice === 'native') return { runtime: new NativeRuntime(deps.registry, deps.session), reason: 'requested with --runtime native' };
  const engine = await import('./docker/engine.ts');
  if (choice === 'docker') {
    await engine.requireDockerEngine();
    return { runtime: await createDocker(deps), reason: 'requested with --runtime docker' };
  }
  const probe = await engine.probeDockerEngine();
  if (probe.available) return { runtime: await createDocker(deps), reason: `a Docker engine answers (${probe.reason})` };
  return { runtime: new NativeRuntime(deps.registry, deps.session), reason: `no Docker engine (${probe.reason})` };
}

async function createDocker(deps: { exposedHostPorts: number[]; labels: Record<string, string> }): Promise<StackRuntime> {
  const { DockerRuntime } = await import('./docker/docker-runtime.ts');
  return new DockerRuntime({ exposedHostPorts: deps.exposedHostPorts, labels: deps.labels });
}
