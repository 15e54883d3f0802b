import { createWriteStream, mkdirSync, watch, type FSWatcher, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { getContainerRuntimeClient, Network, TestContainers, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { SandboxError } from '../../core/errors.ts';
import { findStackComponent } from '../../stack/catalog.ts';
import type { ComponentStatus, StackPlan, StackRuntime } from '../types.ts';
import { buildContainerPlans, type ConfigDelivery, type ContainerPlan } from './container-plan.ts';
import { removeSandboxContainers } from './remove.ts';
import { LineTail } from './log-tail.ts';
import { isPortConflict, toContainer } from './to-container.ts';
import { allSettledOrThrow } from '../../core/settle.ts';

// `sandbox down` loads this module for a detached docker sandbox; one import gives it both.
export { removeSandboxContainers };

/** How containers reach host processes once their ports are exposed (testcontainers' sshd forwarder). */
export const TESTCONTAINERS_HOST = 'host.testcontainers.internal';

export interface DockerRuntimeOptions {
  /**
   * Host ports of the processes the stack must reach: sample services (scrape targets), the
   * notification sink and remediation controller (webhooks), the control API (supervisor
   * metrics). Containers reach each at host.testcontainers.internal:<same port>.
   */
  exposedHostPorts: readonly number[];
  /** Labels for every container, merged under the plan's (the plan's run labels win). */
  labels?: Readonly<Record<string, string>>;
  /** Default: bind for a local engine, copy for a remote one (see ConfigDelivery). */
  configDelivery?: ConfigDelivery;
  /** One line per notable decision (fallback ports, config delivery). */
  log?: (line: string) => void;
}

interface Running {
  container: StartedTestContainer;
  logs: WriteStream;
  watcher?: FSWatcher;
}

/**
 * Runs the stack components as containers on one network, from the same catalog specs as the
 * native runtime. The sample services stay host processes; containers reach them through
 * testcontainers' host-port exposure, and the host reaches containers through published ports.
 */
export class DockerRuntime implements StackRuntime {
  readonly name = 'docker' as const;
  readonly hostAddress = TESTCONTAINERS_HOST;
  private readonly running = new Map<string, Running>();
  private readonly statuses = new Map<string, ComponentStatus>();
  /** How each component was started, to start it again (restartFresh). */
  private readonly starts = new Map<string, { plan: ContainerPlan; logFile: string; publishHost: string; urlHost: string }>();
  private network: StartedNetwork | undefined;
  private labels: Readonly<Record<string, string>> = {};
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DockerRuntimeOptions) {}

  /** Container ports on the sandbox network: the catalog's, never the host's offset ones. */
  peerAddress(component: string, port?: string): string {
    const spec = findStackComponent(component);
    const p = spec?.ports[port ?? spec.primaryPort];
    if (!spec || p === undefined) throw new SandboxError('UNKNOWN_COMPONENT', `no port ${port ?? ''} on stack component "${component}"`);
    return `${component}:${p}`;
  }

  async start(plan: StackPlan): Promise<ComponentStatus[]> {
    this.labels = { ...this.options.labels, ...plan.labels };
    let host: string;
    try {
      host = (await getContainerRuntimeClient()).info.containerRuntime.host;
      // Must precede every container: testcontainers adds the host.testcontainers.internal entry
      // only to containers created while its port forwarder runs.
      const exposed = [...new Set(this.options.exposedHostPorts)];
      if (exposed.length > 0) await TestContainers.exposeHostPorts(...exposed);
      this.network = await new Network().start();
    } catch (e) {
      throw new SandboxError('RUNTIME_UNAVAILABLE', `the docker runtime could not prepare the engine: ${(e as Error).message}`, {
        cause: e,
        hint: 'check `docker info` and that the engine can pull testcontainers/ryuk and testcontainers/sshd, or use `--runtime native`',
      });
    }
    const local = ['localhost', '127.0.0.1', '::1'].includes(host);
    const delivery = this.options.configDelivery ?? (local ? 'bind' : 'copy');
    if (delivery === 'copy') this.say(`docker: engine at ${host} is not local; copying config into containers and re-copying on change`);
    const plans = buildContainerPlans({ ...plan, labels: this.labels, configDelivery: delivery, externalHost: local ? '127.0.0.1' : host });
    for (const p of plans) this.statuses.set(p.name, { name: p.name, state: 'starting' });
    const orders = [...new Set(plans.map((p) => p.startOrder))].sort((a, b) => a - b);
    for (const order of orders) {
      const batch = plans.filter((p) => p.startOrder === order);
      await allSettledOrThrow(batch.map((p) => this.startOne(p, plan.logFile(p.name), local ? '127.0.0.1' : '', host)));
    }
    return this.status();
  }

  private async startOne(plan: ContainerPlan, logFile: string, publishHost: string, urlHost: string): Promise<void> {
    this.starts.set(plan.name, { plan, logFile, publishHost, urlHost });
    mkdirSync(dirname(logFile), { recursive: true });
    const logs = createWriteStream(logFile, { flags: 'a' });
    const tail = new LineTail(15);
    const onLogs = (s: Readable) => {
      // An unhandled 'error' on the log stream would crash the sandbox; a lost log line would not.
      s.on('error', () => undefined).on('data', (chunk: string | Buffer) => tail.push(String(chunk)));
      // The follow stream ends when the container stops: after readiness, that is a crash.
      s.on('end', () => this.markExited(plan.name, logFile));
      s.pipe(logs, { end: false });
    };
    const create = (fixedPorts: boolean) => toContainer(plan, { network: this.network!, fixedPorts, publishHost, onLogs }).start();
    let container: StartedTestContainer;
    try {
      try {
        container = await create(true);
      } catch (e) {
        if (!isPortConflict(e)) throw e;
        // Keep going on a free port; status reports the real URL.
        this.say(`docker: ${plan.name}: host port ${plan.ports.map((p) => p.host).join(', ')} taken, using a free one`);
        container = await create(false);
      }
    } catch (e) {
      logs.end();
      const reason = (e as Error).message;
      this.statuses.set(plan.name, { name: plan.name, state: 'failed', reason, hint: `see ${logFile}` });
      throw startError(plan, reason, logFile, tail.lines());
    }
    const primary = plan.ports.find((p) => p.name === findStackComponent(plan.name)?.primaryPort) ?? plan.ports[0]!;
    const url = `http://${publishHost || urlHost}:${container.getMappedPort(primary.container)}`;
    const entry: Running = { container, logs };
    if (plan.config.delivery === 'copy') entry.watcher = this.recopyOnChange(plan, container);
    this.running.set(plan.name, entry);
    this.statuses.set(plan.name, { name: plan.name, state: 'ready', url, containerId: container.getId() });
  }

  private markExited(name: string, logFile: string): void {
    const s = this.statuses.get(name);
    if (s?.state === 'ready') this.statuses.set(name, { ...s, state: 'failed', reason: 'the container exited', hint: `see ${logFile}` });
  }

  /** Copy mode: the session rewrites targets files while running; follow them into the container. */
  private recopyOnChange(plan: ContainerPlan, container: StartedTestContainer): FSWatcher {
    let timer: NodeJS.Timeout | undefined;
    const copy = () =>
      container
        .copyDirectoriesToContainer([{ source: plan.config.source, target: plan.config.target }])
        .catch((e: unknown) => this.say(`docker: ${plan.name}: re-copying config failed: ${(e as Error).message}`));
    const w = watch(plan.config.source, { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void copy(), 200);
    });
    w.unref();
    return w;
  }

  status(): ComponentStatus[] {
    return [...this.statuses.values()];
  }

  /** Prometheus' reload (SIGHUP) without its lifecycle API: the engine delivers the signal. */
  async signal(component: string, signal: NodeJS.Signals): Promise<void> {
    const r = this.running.get(component);
    if (!r) throw new SandboxError('UNKNOWN_COMPONENT', `${component} is not running`);
    await (await getContainerRuntimeClient()).container.getById(r.container.getId()).kill({ signal });
  }

  /** A new container (its data volume is new too): Prometheus forgets every series without its admin API. */
  async restartFresh(component: string): Promise<void> {
    const r = this.running.get(component);
    const start = this.starts.get(component);
    if (!r || !start) throw new SandboxError('UNKNOWN_COMPONENT', `${component} is not running`);
    // 'starting' first, so the end of its log stream is not reported as a crash.
    this.statuses.set(component, { name: component, state: 'starting' });
    this.running.delete(component);
    r.watcher?.close();
    try {
      await r.container.stop({ timeout: 2_000 });
    } finally {
      r.logs.end();
    }
    await this.startOne(start.plan, start.logFile, start.publishHost, start.urlHost);
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    for (const [name, s] of this.statuses) this.statuses.set(name, { ...s, state: 'stopped' });
    const running = [...this.running.values()].reverse();
    this.running.clear();
    await Promise.allSettled(
      running.map(async (r) => {
        r.watcher?.close();
        try {
          await r.container.stop({ timeout: 2_000 });
        } finally {
          r.logs.end();
        }
      }),
    );
    // Containers that were created but never started (a failed start) carry the run's labels too.
    if (Object.keys(this.labels).length > 0) await removeSandboxContainers(this.labels).catch(() => 0);
    await this.network?.stop().catch(() => undefined);
    this.network = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private say(line: string): void {
    this.options.log?.(line);
  }
}

/** A failed container start as the sandbox reports it; testcontainers only gives message text. */
export function startError(plan: ContainerPlan, reason: string, logFile: string, tail: string[]): SandboxError {
  const details = tail.map((l) => `${plan.name} | ${l}`);
  const what = `${plan.name} (container ${plan.image})`;
  if (/Container exited during HTTP/i.test(reason)) {
    return new SandboxError('COMPONENT_DIED', `${what} exited before it was ready`, { details, hint: `see ${logFile}` });
  }
  if (/not accessible after/i.test(reason)) {
    return new SandboxError('READINESS_TIMEOUT', `${what} was not ready at ${plan.wait.path} within ${plan.wait.timeoutMs / 1000} s`, {
      details,
      hint: `see ${logFile}`,
    });
  }
  return new SandboxError('COMPONENT_DIED', `${what} did not start: ${reason}`, {
    details,
    hint: /pull|manifest|not found/i.test(reason) ? `check that the image exists and the engine can pull it: docker pull ${plan.image}` : `see ${logFile}`,
  });
}
