import { LocalstackContainer } from '@testcontainers/localstack';
import { GenericContainer, Wait, type StartedNetwork } from 'testcontainers';
import type { Readable } from 'node:stream';
import type { ContainerPlan } from './container-plan.ts';

export interface ContainerOptions {
  /** The sandbox network (bridge mode); unused with host networking. */
  network?: StartedNetwork | undefined;
  /** Ask for the plan's fixed host ports; false lets Docker pick free ones. */
  fixedPorts: boolean;
  /** Host address to publish ports on: '127.0.0.1' for a local engine (loopback only), '' for all. */
  publishHost: string;
  /** Receives the container's stdout and stderr. */
  onLogs?: (stream: Readable) => unknown;
}

/**
 * testcontainers publishes fixed ports on every interface and has no option for a host IP, so
 * this sets HostIp on the bindings just before the container is created (the documented
 * extension hook). Only loopback addresses: the design's rule for everything the sandbox opens.
 */
class SandboxContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly publishHost: string,
  ) {
    super(image);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    bindTo(this.hostConfig.PortBindings, this.publishHost);
  }
}

/**
 * LocalStack through its testcontainers module, which sets LOCALSTACK_HOST to the network alias
 * (the host LocalStack writes into the URLs it returns; SQS queue URLs prefix it with
 * `sqs.<region>.` under 4.14's `standard` strategy, see compose/localstack/ready.d), with the same
 * loopback-only bindings as every other container.
 */
class SandboxLocalstackContainer extends LocalstackContainer {
  constructor(
    image: string,
    private readonly publishHost: string,
  ) {
    super(image);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    await super.beforeContainerCreated();
    bindTo(this.hostConfig.PortBindings, this.publishHost);
  }
}

function bindTo(portBindings: unknown, publishHost: string): void {
  if (!publishHost) return;
  const bindings = portBindings as Record<string, { HostPort: string; HostIp?: string }[]> | undefined;
  for (const list of Object.values(bindings ?? {})) {
    for (const b of list) b.HostIp = publishHost;
  }
}

/** The one place a ContainerPlan becomes a testcontainers definition. */
export function toContainer(plan: ContainerPlan, opts: ContainerOptions): GenericContainer {
  const base = plan.module === 'localstack' && plan.network === 'bridge' ? new SandboxLocalstackContainer(plan.image, opts.publishHost) : new SandboxContainer(plan.image, opts.publishHost);
  // An empty command keeps the image's own (LocalStack, Grafana's /run.sh without extra arguments).
  const c = (plan.command.length > 0 ? base.withCommand(plan.command) : base)
    .withLabels(plan.labels)
    .withEnvironment(plan.env)
    // testcontainers takes the memory limit in GiB (HostConfig.Memory = memory * 1024^3).
    .withResourcesQuota({ memory: plan.memoryMiB / 1024 })
    .withStartupTimeout(plan.wait.timeoutMs);
  if (plan.network === 'host') {
    // The host's namespace: the component listens on 127.0.0.1:<host port> itself, nothing is
    // published, and readiness is probed from the host (DockerRuntime) once the container runs.
    c.withNetworkMode('host').withWaitStrategy(Wait.forListeningPorts());
  } else {
    if (!opts.network) throw new Error(`${plan.name}: bridge networking needs the sandbox network`);
    c.withNetwork(opts.network)
      .withNetworkAliases(plan.networkAlias)
      // Docker Desktop answers host.docker.internal itself; elsewhere host-gateway names the host.
      .withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }])
      .withExposedPorts(...plan.ports.map((p) => (opts.fixedPorts ? { container: p.container, host: p.host } : p.container)))
      // For LocalStack this replaces the module's log-line wait: the plan's HTTP health probe.
      .withWaitStrategy(Wait.forHttp(plan.wait.path, plan.wait.port, { abortOnContainerExit: true }).withHeaders(plan.wait.headers));
  }
  const dirs = [{ source: plan.config.source, target: plan.config.target }, ...plan.mounts];
  if (plan.config.delivery === 'bind') {
    // Read-only: the session owns these files; withBindMounts replaces, so pass them all at once.
    c.withBindMounts(dirs.map((d) => ({ ...d, mode: 'ro' as const })));
  } else {
    c.withCopyDirectoriesToContainer(dirs);
  }
  if (opts.onLogs) c.withLogConsumer(opts.onLogs);
  return c;
}

/** Docker's ways of saying a fixed host port is taken (Linux engine, Docker Desktop). */
export function isPortConflict(e: unknown): boolean {
  return /port is already allocated|address already in use|ports are not available/i.test(String((e as Error)?.message ?? e));
}
