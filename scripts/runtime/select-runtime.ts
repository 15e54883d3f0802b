import { SandboxError } from '../core/errors.ts';
import { NativeRuntime } from './native/native-runtime.ts';
import type { PidRegistry } from './processes/pid-registry.ts';
import type { EngineKind, EngineProbe } from './docker/engine.ts';
import type { NetworkMode } from './docker/container-plan.ts';
import type { RuntimeName, StackRuntime } from './types.ts';

export type RuntimeChoice = Exclude<RuntimeName, 'attached'> | 'auto';

export interface RuntimeSelection {
  runtime: StackRuntime;
  /** Why this runtime: printed by `up`, so nobody wonders which stack they got. */
  reason: string;
}

/** Forces the docker runtime's network mode (host or bridge) on an engine the sandbox does not recognise. */
export const DOCKER_NETWORK_ENV = 'SANDBOX_DOCKER_NETWORK';

export function parseRuntimeChoice(value: string): RuntimeChoice {
  if (value === 'auto' || value === 'native' || value === 'docker') return value;
  throw new SandboxError('INVALID_ARGUMENT', `unknown runtime "${value}"`, { hint: 'use --runtime auto, native or docker' });
}

/**
 * auto: docker where testcontainers finds an engine whose containers can reach this machine's
 * loopback (what most users run), native otherwise. The docker modules load only when an engine
 * could exist at all, so the native cold start does not pay for testcontainers.
 */
export async function selectRuntime(
  choice: RuntimeChoice,
  deps: { registry: PidRegistry; session: string; labels: Record<string, string>; log?: (line: string) => void },
): Promise<RuntimeSelection> {
  const native = () => new NativeRuntime(deps.registry, deps.session);
  if (choice === 'native') return { runtime: native(), reason: 'requested with --runtime native' };
  const engine = await import('./docker/engine.ts');
  if (choice === 'docker') {
    const probe = await engine.requireDockerEngine();
    const network = networkModeFor(probe.kind);
    if (typeof network !== 'string') throw network;
    return { runtime: await createDocker(network, deps), reason: `requested with --runtime docker: ${probe.reason}; ${describeMode(network)}` };
  }
  const probe: EngineProbe = await engine.probeDockerEngine();
  if (!probe.available || !probe.kind) return { runtime: native(), reason: `no Docker engine (${probe.reason})` };
  const network = networkModeFor(probe.kind);
  if (typeof network !== 'string') return { runtime: native(), reason: `${probe.reason}, but ${network.message}` };
  return { runtime: await createDocker(network, deps), reason: `${probe.reason}; ${describeMode(network)}` };
}

/**
 * How containers reach the host's loopback on this kind of engine (docs/docker-runtime.md), or
 * why they cannot. SANDBOX_DOCKER_NETWORK=host|bridge overrides it, for an engine set up to make
 * one of them work (e.g. Podman with pasta mapping host.containers.internal to loopback).
 */
export function networkModeFor(kind: EngineKind, env: NodeJS.ProcessEnv = process.env): NetworkMode | SandboxError {
  const forced = env[DOCKER_NETWORK_ENV];
  if (forced === 'host' || forced === 'bridge') return forced;
  if (forced) return new SandboxError('INVALID_ARGUMENT', `${DOCKER_NETWORK_ENV}="${forced}" is not a network mode`, { hint: `use ${DOCKER_NETWORK_ENV}=host or bridge, or unset it` });
  if (kind === 'linux') return 'host';
  if (kind === 'desktop') return 'bridge';
  const why = {
    rootless: "rootless Docker's containers live in RootlessKit's network namespace, where 127.0.0.1 is not this machine's loopback (host networking there is RootlessKit's, and host-gateway does not reach loopback)",
    podman: "Podman's containers cannot reach this machine's loopback by default (host.containers.internal is the host's external address)",
    remote: "the engine runs on another machine, where 127.0.0.1 is not this one (the sample services run here, on loopback only)",
  }[kind];
  return new SandboxError('RUNTIME_UNAVAILABLE', `the docker runtime cannot run here: ${why}`, {
    hint: `use \`--runtime native\`; or a rootful Docker Engine or Docker Desktop; or, if your engine does reach the host's loopback, set ${DOCKER_NETWORK_ENV}=host (containers share it) or bridge (host.docker.internal reaches it)`,
  });
}

function describeMode(network: NetworkMode): string {
  return network === 'host'
    ? 'host networking, every container on 127.0.0.1 as natively'
    : 'bridge networking, ports published on 127.0.0.1, the host reached as host.docker.internal';
}

async function createDocker(network: NetworkMode, deps: { labels: Record<string, string>; log?: (line: string) => void }): Promise<StackRuntime> {
  const { DockerRuntime } = await import('./docker/docker-runtime.ts');
  return new DockerRuntime({ network, labels: deps.labels, ...(deps.log ? { log: deps.log } : {}) });
}
