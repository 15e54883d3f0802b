import { createWriteStream, mkdirSync, watch, type FSWatcher, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { getContainerRuntimeClient, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { SandboxError } from '../../core/errors.ts';
import { findStackComponent } from '../../stack/catalog.ts';
import { waitForHttpReady } from '../processes/readiness.ts';
import { leftOutStatus } from '../components.ts';
import type { ComponentStatus, StackPlan, StackRuntime } from '../types.ts';
import { buildContainerPlans, imageVariable, LOOPBACK, type ConfigDelivery, type ContainerPlan, type NetworkMode } from './container-plan.ts';
import { ensureImage } from './pull.ts';
import { imageTrouble } from './pull-problem.ts';
import { engineConnectionOf, type DockerLeftovers, type EngineConnection } from './leftovers.ts';
import { startSandboxNetwork } from './network.ts';
import { removeSandboxContainers, removeSandboxResources } from './remove.ts';
import { LineTail } from './log-tail.ts';
import { isPortConflict, toContainer } from './to-container.ts';

// `sandbox down` loads this module for a detached docker sandbox; one import gives it both.
export { removeSandboxContainers };

/** How bridge-networked containers reach the host's loopback (Docker Desktop forwards it there). */
export const DESKTOP_HOST = 'host.docker.internal';

export interface DockerRuntimeOptions {
  /** host: Docker Engine on Linux; bridge: Docker Desktop (see NetworkMode). */
  network: NetworkMode;
  /** Labels for every container, merged under the plan's (the plan's run labels win). */
  labels?: Readonly<Record<string, string>>;
  /** Default: bind for a local engine, copy for a remote one (see ConfigDelivery). */
  configDelivery?: ConfigDelivery;
  /** One line per notable decision (fallback ports, config delivery, unavailable parts). */
  log?: (line: string) => void;
}

interface Running {
  container: StartedTestContainer;
  logs: WriteStream;
  watcher?: FSWatcher;
}

/**
 * Runs the stack components as containers, from the same catalog specs as the native runtime.
 * The sample services stay host processes. With host networking (Docker Engine on Linux) the
 * containers listen on 127.0.0.1 and scrape, alert and deliver to 127.0.0.1 exactly as native
 * processes do; on Docker Desktop they sit on a bridge network, published on 127.0.0.1, and
 * reach the host as host.docker.internal. Nothing forwards ports, so a dead host process is a
 * refused connection to Prometheus (up == 0) and nothing else.
 *
 * An optional component whose image cannot be pulled, or that does not get ready, is
 * `unavailable` with the reason and the fix; a required one (Prometheus, Alertmanager) stops
 * the start with the same.
 */
export class DockerRuntime implements StackRuntime {
  readonly name = 'docker' as const;
  readonly hostAddress: string;
  private readonly running = new Map<string, Running>();
  private readonly statuses = new Map<string, ComponentStatus>();
  private plan: StackPlan | undefined;
  /** How each component was started, to start it again (restartFresh). */
  private readonly starts = new Map<string, { plan: ContainerPlan; logFile: string; publishHost: string; urlHost: string }>();
  private network: StartedNetwork | undefined;
  private labels: Readonly<Record<string, string>> = {};
  /** The engine testcontainers found (prepare()), for the reaper process. */
  private engine: EngineConnection | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DockerRuntimeOptions) {
    this.hostAddress = options.network === 'host' ? LOOPBACK : DESKTOP_HOST;
  }

  /** host: loopback and the sandbox's host port; bridge: network alias and the catalog's port. */
  peerAddress(component: string, port?: string): string {
    const spec = findStackComponent(component);
    const p = spec?.ports[port ?? spec.primaryPort];
    if (!spec || p === undefined) throw new SandboxError('UNKNOWN_COMPONENT', `no port ${port ?? ''} on stack component "${component}"`);
    if (this.options.network === 'bridge') return `${component}:${p}`;
    if (!this.plan) throw new Error('peerAddress() before prepare()');
    return `${LOOPBACK}:${this.plan.hostPort(component, port ?? spec.primaryPort)}`;
  }

  /**
   * Every image on the engine before anything starts (pulled where missing, in parallel), so
   * that the sandbox knows what will run before it hands the host processes their environment.
   */
  async prepare(plan: StackPlan): Promise<void> {
    this.plan = plan;
    for (const c of plan.components) if (plan.leftOut?.has(c.name)) this.statuses.set(c.name, leftOutStatus(c.name));
    const client = await getContainerRuntimeClient();
    this.engine = engineConnectionOf(client.container.dockerode);
    const wanted = this.plans(plan, 'bind').filter((p) => !plan.leftOut?.has(p.name));
    const missing: string[] = [];
    await Promise.all(
      wanted.map(async (p) => {
        try {
          await ensureImage(client, p.image);
        } catch (e) {
          const optional = findStackComponent(p.name)?.optional === true;
          const trouble = imageTrouble(p.image, (e as Error).message, p.imageEnv, optional ? p.name : undefined);
          this.statuses.set(p.name, { name: p.name, state: optional ? 'unavailable' : 'failed', reason: trouble.reason, hint: trouble.hint });
          if (optional) this.say(`docker: ${p.name} is unavailable: ${trouble.reason}`);
          else missing.push(p.name);
        }
      }),
    );
    if (missing.length > 0) {
      const problems = missing.map((m) => this.statuses.get(m)!);
      throw new SandboxError('IMAGE_UNAVAILABLE', `the docker runtime needs ${missing.join(' and ')}, whose image could not be pulled: ${problems.map((p) => p.reason).join('; ')}`, {
        details: problems.map((p) => `${p.name}: ${p.hint}`),
        hint: `${problems.map((p) => p.hint).join('; ')}; or run \`--runtime native\``,
      });
    }
  }

  /**
   * What the session's reaper process removes if the host dies without stopping (SIGKILL, a
   * crash): every container and network with this run's labels, on the engine testcontainers
   * found. Known after prepare(), before anything is created.
   */
  leftoversOnDeath(): DockerLeftovers | undefined {
    const labels = { ...this.options.labels, ...this.plan?.labels };
    if (!this.engine || Object.keys(labels).length === 0) return undefined;
    return { engine: this.engine, labels };
  }

  /** Whether `component` runs here: not left out, and its image is on the engine. */
  runs(component: string): boolean {
    const s = this.statuses.get(component);
    return findStackComponent(component) !== undefined && s?.state !== 'unavailable' && s?.state !== 'failed';
  }

  async start(plan: StackPlan): Promise<ComponentStatus[]> {
    if (this.plan !== plan) await this.prepare(plan);
    this.labels = { ...this.options.labels, ...plan.labels };
    let host: string;
    try {
      const client = await getContainerRuntimeClient();
      host = client.info.containerRuntime.host;
      // Labelled like the containers, so whatever reaps them by label reaps it too.
      if (this.options.network === 'bridge') this.network = await startSandboxNetwork(client, this.labels);
    } catch (e) {
      throw new SandboxError('RUNTIME_UNAVAILABLE', `the docker runtime could not prepare the engine: ${(e as Error).message}`, {
        cause: e,
        hint: 'check `docker info`, or use `--runtime native`',
      });
    }
    // Host networking shares this machine's network namespace, so the engine is local whatever
    // testcontainers reports (inside a container it names the bridge gateway, e.g. 172.17.0.1):
    // URLs stay on loopback, where the browser and Grafana's CORS origin expect them.
    const local = this.options.network === 'host' || ['localhost', '127.0.0.1', '::1'].includes(host);
    const delivery = this.options.configDelivery ?? (local ? 'bind' : 'copy');
    if (delivery === 'copy') this.say(`docker: engine at ${host} is not local; copying config into containers and re-copying on change`);
    const plans = this.plans(plan, delivery, local ? LOOPBACK : host).filter((p) => this.runs(p.name));
    for (const p of plans) this.statuses.set(p.name, { name: p.name, state: 'starting' });
    const orders = [...new Set(plans.map((p) => p.startOrder))].sort((a, b) => a - b);
    for (const order of orders) {
      const batch = plans.filter((p) => p.startOrder === order);
      const results = await Promise.allSettled(batch.map((p) => this.startOne(p, plan.logFile(p.name), local ? LOOPBACK : '', host)));
      // A required part that failed stops the start (the session stops the rest); an optional one is unavailable.
      const failed = results.flatMap((r, i) => (r.status === 'rejected' && !findStackComponent(batch[i]!.name)?.optional ? [r.reason as unknown] : []));
      if (failed.length > 0) throw failed[0];
    }
    return this.status();
  }

  private plans(plan: StackPlan, delivery: ConfigDelivery, externalHost = LOOPBACK): ContainerPlan[] {
    return buildContainerPlans({ ...plan, labels: this.labels, network: this.options.network, configDelivery: delivery, externalHost });
  }

  private async startOne(plan: ContainerPlan, logFile: string, publishHost: string, urlHost: string): Promise<void> {
    this.starts.set(plan.name, { plan, logFile, publishHost, urlHost });
    mkdirSync(dirname(logFile), { recursive: true });
    const logs = createWriteStream(logFile, { flags: 'a' });
    const tail = new LineTail(15);
    let exited = false;
    const onLogs = (s: Readable) => {
      // An unhandled 'error' on the log stream would crash the sandbox; a lost log line would not.
      s.on('error', () => undefined).on('data', (chunk: string | Buffer) => tail.push(String(chunk)));
      // The follow stream ends when the container stops: after readiness, that is a crash.
      s.on('end', () => {
        exited = true;
        this.markExited(plan.name, logFile);
      });
      s.pipe(logs, { end: false });
    };
    const create = (fixedPorts: boolean) => toContainer(plan, { network: this.network, fixedPorts, publishHost, onLogs }).start();
    let container: StartedTestContainer | undefined;
    let url = '';
    try {
      try {
        container = await create(true);
      } catch (e) {
        if (plan.network === 'host' || !isPortConflict(e)) throw e;
        // Keep going on a free port; status reports the real URL.
        this.say(`docker: ${plan.name}: host port ${plan.ports.map((p) => p.host).join(', ')} taken, using a free one`);
        container = await create(false);
      }
      const primary = plan.ports.find((p) => p.name === findStackComponent(plan.name)?.primaryPort) ?? plan.ports[0]!;
      url = plan.network === 'host' ? `http://${LOOPBACK}:${primary.host}` : `http://${publishHost || urlHost}:${container.getMappedPort(primary.container)}`;
      if (plan.network === 'host') {
        // Host networking publishes nothing for testcontainers to wait on: probe as natively.
        const readiness = plan.ports.find((p) => p.container === plan.wait.port)!;
        await waitForHttpReady({
          component: plan.name,
          url: `http://${LOOPBACK}:${readiness.host}${plan.wait.path}`,
          headers: plan.wait.headers,
          timeoutMs: plan.wait.timeoutMs,
          exited: () => exited,
          intervalMs: 100,
        });
      }
    } catch (e) {
      logs.end();
      await container?.stop({ timeout: 1_000 }).catch(() => undefined);
      const error = startError(plan, (e as Error).message, logFile, tail.lines());
      const optional = findStackComponent(plan.name)?.optional === true;
      this.statuses.set(plan.name, {
        name: plan.name,
        state: optional ? 'unavailable' : 'failed',
        reason: error.message,
        hint: optional ? `${error.hint}; or leave it out with \`--without ${plan.name}\`` : (error.hint ?? `see ${logFile}`),
      });
      if (optional) this.say(`docker: ${plan.name} is unavailable: ${error.message}`);
      throw error;
    }
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
    for (const [name, s] of this.statuses) if (s.state !== 'unavailable') this.statuses.set(name, { ...s, state: 'stopped' });
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
    // Containers that were created but never started (a failed start) carry the run's labels
    // too, and so does the bridge network, which goes once its containers are gone.
    if (Object.keys(this.labels).length > 0) await removeSandboxResources(this.labels).catch(() => undefined);
    // Gone already when it carried labels (the engine answers 404, ignored).
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
  if (/Container exited during HTTP|exited before it became ready/i.test(reason)) {
    return new SandboxError('COMPONENT_DIED', `${what} exited before it was ready`, { details, hint: `see ${logFile}` });
  }
  if (/not accessible after|did not become ready/i.test(reason)) {
    return new SandboxError('READINESS_TIMEOUT', `${what} was not ready at ${plan.wait.path} within ${plan.wait.timeoutMs / 1000} s`, {
      details,
      hint: `see ${logFile}`,
    });
  }
  if (/pull|manifest|no such image|not found|no such host|unauthorized|toomanyrequests/i.test(reason)) {
    const t = imageTrouble(plan.image, reason, plan.imageEnv ?? imageVariable(plan.name), undefined);
    return new SandboxError('IMAGE_UNAVAILABLE', `${plan.name}: ${t.reason}`, { details, hint: t.hint });
  }
  return new SandboxError('COMPONENT_DIED', `${what} did not start: ${reason}`, { details, hint: `see ${logFile}` });
}
