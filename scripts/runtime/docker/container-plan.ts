import { join } from 'node:path';
import type { LaunchContext, StackComponentSpec } from '../../stack/types.ts';
import { PROJECT_ROOT } from '../../core/paths.ts';
import { readinessHeaders } from '../../stack/stack-auth.ts';
import type { StackPlan } from '../types.ts';

/** Marks which catalog component a container runs; the run's own labels come from the plan. */
export const COMPONENT_LABEL = 'org.observability-sandbox.component';

/**
 * How the rendered config directory gets into the container. `bind` (a local engine) lets the
 * container see the targets files the session rewrites while running (file_sd); `copy` works
 * with a remote engine or Docker-in-Docker, where host paths mean nothing to the daemon, and
 * needs re-copying after every rewrite.
 */
export type ConfigDelivery = 'bind' | 'copy';

/**
 * How containers and the host's loopback reach each other (docs/docker-runtime.md).
 * - host: the container shares the host's network namespace (Docker Engine on Linux, rootful):
 *   it listens on 127.0.0.1 at the sandbox's host port and reaches the host's processes and its
 *   peers at 127.0.0.1, exactly as natively. Nothing is published; nothing is forwarded.
 * - bridge: its own network namespace on the sandbox network (Docker Desktop): it listens on
 *   0.0.0.0 at the catalog's port inside, published on 127.0.0.1 at the host port; peers by
 *   network alias; the host's loopback as host.docker.internal, which Desktop forwards there.
 */
export type NetworkMode = 'host' | 'bridge';

export interface ContainerPort {
  /** The catalog's port name. */
  name: string;
  /** Where the component listens inside the container: the catalog's default, never offset. */
  container: number;
  /** The host port we ask for, so URLs are stable (the plan's port with the sandbox offset). */
  host: number;
}

/** Everything one container needs, as plain data: what unit tests check against the catalog. */
export interface ContainerPlan {
  name: string;
  /** `name:tag`, pinned in the catalog, unless the spec's imageEnv variable names another. */
  image: string;
  /** The variable that may replace the image (compose writes `${VAR:-<pinned>}`). */
  imageEnv: string;
  /** GenericContainer, or the testcontainers module that knows the image. */
  module: 'generic' | 'localstack';
  /** Arguments to the image's entrypoint (the component's binary). */
  command: string[];
  ports: ContainerPort[];
  config: { delivery: ConfigDelivery; source: string; target: string };
  /** Project directories the component reads (dashboards), read-only, delivered like the config. */
  mounts: { source: string; target: string }[];
  /**
   * Writable data directory inside the container. Not mounted from the host: the images run as
   * `nobody` and own this directory (a VOLUME), while a host directory would belong to the
   * user and be unwritable; sandbox data is disposable anyway.
   */
  dataDir: string;
  /** The spec's environment, plus the host's values of its passEnv variables that are set. */
  env: Record<string, string>;
  /** Host variables handed through when set (compose writes them as bare names). */
  passEnv: string[];
  network: NetworkMode;
  /** bridge: other containers reach this one by its component name on the sandbox network. */
  networkAlias: string;
  labels: Record<string, string>;
  /** Readiness, by the port the component listens on (in its namespace), with the stack's login where asked. */
  wait: { path: string; port: number; timeoutMs: number; headers: Record<string, string> };
  memoryMiB: number;
  startOrder: number;
  /** Components that start before this one (lower startOrder). */
  dependsOn: string[];
}

export type ContainerPlanInput = Pick<StackPlan, 'components' | 'hostPort' | 'configDir' | 'labels' | 'stackPassword'> & {
  /** Default: bridge (what the generated compose file describes). */
  network?: NetworkMode;
  configDelivery?: ConfigDelivery;
  /** Host used in the URL the component announces (--web.external-url). */
  externalHost?: string;
  /** Where a project directory is on the engine's host (default: this checkout). */
  projectPath?: (relative: string) => string;
  /** Source of passEnv values and image overrides (default: process.env). */
  hostEnv?: NodeJS.ProcessEnv;
};

/** Bridge: inside a container a component listens on every interface of its own network namespace. */
export const CONTAINER_LISTEN_HOST = '0.0.0.0';
/** Host networking: the host's namespace, so loopback only, as natively. */
export const LOOPBACK = '127.0.0.1';

export function buildContainerPlans(input: ContainerPlanInput): ContainerPlan[] {
  return [...input.components]
    .sort((a, b) => a.startOrder - b.startOrder)
    .map((spec) => buildContainerPlan(spec, input));
}

export function buildContainerPlan(spec: StackComponentSpec, input: ContainerPlanInput): ContainerPlan {
  const network = input.network ?? 'bridge';
  const host = network === 'host';
  // Host networking: the container sees the host's ports, so it listens on the offset one.
  const inside = (component: StackComponentSpec, name: string) => (host ? input.hostPort(component.name, name) : portOf(component, name));
  const ports = Object.keys(spec.ports).map((name) => ({
    name,
    container: inside(spec, name),
    host: input.hostPort(spec.name, name),
  }));
  const primaryHost = input.hostPort(spec.name, spec.primaryPort);
  const hostEnv = input.hostEnv ?? process.env;
  const ctx: LaunchContext = {
    configDir: spec.containerConfigDir,
    dataDir: spec.containerDataDir,
    listenHost: host ? LOOPBACK : CONTAINER_LISTEN_HOST,
    port: (name) => inside(spec, name),
    externalUrl: `http://${input.externalHost ?? '127.0.0.1'}:${primaryHost}`,
    // Peers as DockerRuntime.peerAddress says: loopback and host port, or alias and container port.
    peer: (component, port) => {
      const other = input.components.find((c) => c.name === component);
      if (!other) throw new Error(`catalog: ${spec.name} needs ${component}, which is not in the plan`);
      return `${host ? LOOPBACK : component}:${inside(other, port ?? other.primaryPort)}`;
    },
    projectPath: (relative) => {
      const m = spec.mounts?.find((x) => x.source === relative);
      if (!m) throw new Error(`catalog: ${spec.name} reads ${relative} without declaring it in mounts`);
      return m.target;
    },
    stackPassword: input.stackPassword ?? '',
  };
  const command = spec.args(ctx);
  const passEnv = [...(spec.passEnv ?? [])];
  const passed = Object.fromEntries(passEnv.flatMap((k) => (hostEnv[k] ? [[k, hostEnv[k]] as const] : [])));
  const projectPath = input.projectPath ?? ((relative: string) => join(PROJECT_ROOT, relative));
  const imageEnv = spec.imageEnv ?? imageVariable(spec.name);
  const override = hostEnv[imageEnv]?.trim();
  return {
    name: spec.name,
    image: override || `${spec.image.name}:${spec.image.tag}`,
    imageEnv,
    module: spec.testcontainersModule ?? 'generic',
    command,
    ports,
    config: { delivery: input.configDelivery ?? 'bind', source: input.configDir(spec.name), target: spec.containerConfigDir },
    mounts: (spec.mounts ?? []).map((m) => ({ source: projectPath(m.source), target: m.target })),
    dataDir: spec.containerDataDir,
    env: { ...spec.env?.(ctx), ...passed },
    passEnv,
    network,
    networkAlias: spec.name,
    labels: { ...input.labels, [COMPONENT_LABEL]: spec.name },
    wait: { path: spec.readiness.path, port: inside(spec, spec.readiness.port), timeoutMs: spec.readiness.timeoutMs, headers: readinessHeaders(spec, input.stackPassword) },
    memoryMiB: spec.memoryMiB,
    startOrder: spec.startOrder,
    dependsOn: input.components.filter((c) => c.startOrder < spec.startOrder).map((c) => c.name),
  };
}

/** SANDBOX_<NAME>_IMAGE replaces a component's pinned image (a mirror, a newer tag, a local build). */
export function imageVariable(component: string): string {
  return `SANDBOX_${component.toUpperCase().replaceAll('-', '_')}_IMAGE`;
}

function portOf(spec: StackComponentSpec, name: string): number {
  const p = spec.ports[name];
  if (p === undefined) throw new Error(`catalog: ${spec.name} has no port named "${name}"`);
  return p;
}
