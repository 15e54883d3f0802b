import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { isSandboxError, SandboxError } from '../core/errors.ts';
import { instanceName, maxInstances } from '../stack/catalog.ts';
import { portVariable } from '../stack/services.ts';
import type { ServiceSpec } from '../stack/types.ts';
import { tsxLauncher, type HostLauncher } from './processes/host-build.ts';
import { ManagedProcess } from './processes/managed-process.ts';
import type { PidRegistry } from './processes/pid-registry.ts';
import { waitForHttpReady } from './processes/readiness.ts';
import type { ComponentStatus } from './types.ts';
import { allSettledOrThrow } from '../core/settle.ts';
import { supervisorMetrics } from './supervisor-metrics.ts';

export type { RestartPolicy, SupervisorEvent } from '../core/control-protocol.ts';
import type { RestartPolicy, SupervisorEvent } from '../core/control-protocol.ts';

type SupervisorEventBody = SupervisorEvent extends infer E ? (E extends SupervisorEvent ? Omit<E, 'seq' | 'at'> : never) : never;

interface Supervised {
  spec: ServiceSpec;
  /** Instance name: the service's own for instance 1, `<service>-<n>` for a scale-out replica. */
  name: string;
  /** 1 for the service itself (the primary), 2 and up for replicas. */
  index: number;
  port: number;
  process: ManagedProcess | undefined;
  state: ComponentStatus['state'];
  restarts: number;
  policy: RestartPolicy;
  /** Consecutive automatic restarts, for back-off. */
  backoffStep: number;
  stopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  reason?: string;
}

export interface SupervisorOptions {
  projectRoot: string;
  registry: PidRegistry;
  session: string;
  logDir: string;
  /** Environment every service gets (CHAOS_TOKEN, state dir, OTLP endpoint, ...). */
  commonEnv: Record<string, string>;
  env(spec: ServiceSpec): Record<string, string>;
  port(spec: ServiceSpec): number;
  /** Port of replica `index` (2, 3, ...) of a scalable service; absent: nothing can be scaled. */
  replicaPort?(spec: ServiceSpec, index: number): number;
  host?: string;
  /** How a service's entry is started: from the host build (see host-build.ts); default tsx. */
  launcher?: HostLauncher;
}

/** What a scale request changed, and every instance of the service afterwards. */
export interface ScaleResult {
  service: string;
  /** Instances that run now (the primary counts as one). */
  replicas: number;
  max: number;
  started: string[];
  stopped: string[];
  /** Replicas that existed but were not running (crashed, stopped), started again. */
  restarted: string[];
  instances: ComponentStatus[];
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 5000;

/**
 * Owns the sandbox's TypeScript processes in every runtime: starts them, knows when one died,
 * restarts it when asked (or by policy, with back-off) and counts restarts. Exposes
 * process_restarts_total{service} for Prometheus.
 */
export class Supervisor extends EventEmitter<{ event: [SupervisorEvent] }> {
  private registry: Promise<Registry> | undefined;
  readonly events: SupervisorEvent[] = [];
  private readonly services = new Map<string, Supervised>();
  private seq = 0;
  constructor(private readonly options: SupervisorOptions) {
    super();
  }

  /** process_restarts_total{service} and sandbox_process_running, for the control API's /metrics. */
  async metrics(): Promise<{ contentType: string; body: string }> {
    this.registry ??= supervisorMetrics(() =>
      [...this.services.values()].map((s) => ({ labels: this.labels(s), restarts: s.restarts, running: s.process?.running === true })),
    );
    const registry = await this.registry;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  urlOf(name: string): string {
    const s = this.require(name);
    return `http://${this.host}:${s.port}`;
  }

  /** Base URLs of every instance of a service the supervisor runs (the primary first). */
  instanceUrls(service: string): string[] {
    return this.instancesOf(service).map((s) => `http://${this.host}:${s.port}`);
  }

  /** A scaled-out service's replicas (not the primary), whatever their state. */
  replicas(service: string): { instance: string; index: number; port: number }[] {
    return this.instancesOf(service)
      .filter((s) => s.index > 1)
      .map((s) => ({ instance: s.name, index: s.index, port: s.port }));
  }

  /** A service's instances now: how many, how many it may have, and each one's status. */
  scaleState(name: string): { service: string; replicas: number; max: number; instances: ComponentStatus[] } {
    const s = this.require(name);
    const instances = this.instancesOf(s.spec.name);
    return { service: s.spec.name, replicas: instances.length, max: this.scalability(s.spec.name).max, instances: instances.map((i) => this.statusOf(i)) };
  }

  private instancesOf(service: string): Supervised[] {
    return [...this.services.values()].filter((s) => s.spec.name === service).sort((a, b) => a.index - b.index);
  }

  private labels(s: Supervised): { service: string; replica?: string } {
    return s.index === 1 ? { service: s.spec.name } : { service: s.spec.name, replica: s.name };
  }

  /** Start every spec, in groups of equal startOrder, and wait until each is ready. */
  async startAll(specs: readonly ServiceSpec[]): Promise<void> {
    for (const spec of specs) {
      this.services.set(spec.name, supervised(spec, spec.name, 1, this.options.port(spec)));
    }
    const orders = [...new Set(specs.map((s) => s.startOrder))].sort((a, b) => a - b);
    for (const order of orders) {
      await allSettledOrThrow(specs.filter((s) => s.startOrder === order).map((s) => this.launch(this.require(s.name), false)));
    }
  }

  /** Every instance, a scaled-out service's replicas right after it. */
  status(): ComponentStatus[] {
    const primaries = [...this.services.values()].filter((s) => s.index === 1);
    return primaries.flatMap((p) => this.instancesOf(p.spec.name)).map((s) => this.statusOf(s));
  }

  private statusOf(s: Supervised): ComponentStatus {
    return {
      name: s.name,
      state: s.state,
      url: `http://${this.host}:${s.port}`,
      ...(s.process?.running ? { pid: s.process.pid } : {}),
      restarts: s.restarts,
      ...(s.reason ? { reason: s.reason } : {}),
    };
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  /** Stop (if running) and start again; resolves when the new process is ready. */
  /**
   * Restart one service. Operator actions on a service run one at a time: two callers
   * (remediation for two alerts, an operator and a playbook) each get a whole restart, instead
   * of the second killing the first one's process before it became ready.
   */
  restart(name: string): Promise<ComponentStatus> {
    return this.serialized(this.processKey(name), () => this.restartNow(name));
  }

  /**
   * What operations are serialized on: the process. Services sharing one (the platform
   * receivers) are restarted and stopped together, so one at a time across all of them.
   */
  private processKey(name: string): string {
    const s = this.services.get(name);
    return s?.spec.sharedProcess && s.index === 1 ? `process ${s.spec.sharedProcess}` : name;
  }

  /** The instances one process serves: the members of a shared process, else the instance alone. */
  private membersOf(s: Supervised): Supervised[] {
    const shared = s.spec.sharedProcess;
    if (!shared || s.index !== 1) return [s];
    return [...this.services.values()].filter((m) => m.index === 1 && m.spec.sharedProcess === shared);
  }

  private readonly operations = new Map<string, Promise<unknown>>();

  private serialized<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const next = (this.operations.get(name) ?? Promise.resolve()).catch(() => undefined).then(operation);
    this.operations.set(name, next.catch(() => undefined));
    return next;
  }

  private async restartNow(name: string): Promise<ComponentStatus> {
    const s = this.require(name);
    const members = this.membersOf(s);
    for (const m of members) {
      if (m.restartTimer) clearTimeout(m.restartTimer);
      m.restartTimer = undefined;
    }
    if (s.process?.running) {
      for (const m of members) m.stopping = true;
      await s.process.stop();
      for (const m of members) m.stopping = false;
    }
    await this.launch(s, true);
    return this.status().find((x) => x.name === name)!;
  }

  /**
   * How far a service can be scaled: 1 plus its replica ports, or 1 with the reason it runs as
   * one instance only. Throws UNKNOWN_COMPONENT for a name the supervisor does not know.
   */
  scalability(name: string): { max: number; reason?: string } {
    const s = this.require(name);
    if (s.index > 1) return { max: 1, reason: `${name} is a replica of ${s.spec.name}; scale ${s.spec.name} instead` };
    const max = this.options.replicaPort ? maxInstances(s.spec) : 1;
    if (max > 1) return { max };
    if (s.spec.notScalable) return { max, reason: s.spec.notScalable };
    return {
      max,
      reason: this.options.replicaPort
        ? `${name} runs as one instance only: the port plan reserves no replica ports for it`
        : 'this supervisor was started without replica ports',
    };
  }

  /**
   * Run `replicas` instances of a service: start missing replicas (each on its reserved port,
   * with its own log and pid-registry entry) and wait until they are ready, start crashed ones
   * again, and stop the ones above the count. The primary is never touched. A count that
   * already runs changes nothing. Scale requests of one service run one at a time.
   */
  scale(name: string, replicas: number): Promise<ScaleResult> {
    const { max, reason } = this.scalability(name);
    if (reason) throw new SandboxError('INVALID_ARGUMENT', `${name} cannot be scaled: ${reason}`);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > max) {
      throw new SandboxError('INVALID_ARGUMENT', `${name} can run 1 to ${max} instances, not ${replicas}`, {
        hint: `the port plan reserves ${max - 1} replica port(s) for ${name}`,
      });
    }
    return this.serialized(`scale ${name}`, () => this.scaleNow(this.require(name), replicas, max));
  }

  private async scaleNow(primary: Supervised, replicas: number, max: number): Promise<ScaleResult> {
    const service = primary.spec.name;
    const started: string[] = [];
    const stopped: string[] = [];
    const restarted: string[] = [];
    // Each replica's own operations (an operator's restart of ml-service-2) stay serialized with these.
    for (let index = max; index > replicas; index--) {
      const r = this.services.get(instanceName(service, index));
      if (!r) continue;
      await this.serialized(r.name, () => this.removeReplica(r));
      stopped.push(r.name);
    }
    const wanted: Supervised[] = [];
    for (let index = 2; index <= replicas; index++) {
      const name = instanceName(service, index);
      let r = this.services.get(name);
      if (!r) {
        r = supervised(primary.spec, name, index, this.options.replicaPort!(primary.spec, index));
        this.services.set(name, r);
        started.push(name);
        wanted.push(r);
      } else if (!r.process?.running && !r.restartTimer) {
        restarted.push(name);
        wanted.push(r);
      }
    }
    const launched = await Promise.allSettled(
      wanted.map((r) => this.serialized(r.name, () => (started.includes(r.name) ? this.launch(r, false) : this.restartNow(r.name).then(() => undefined)))),
    );
    const failures = launched.flatMap((o, i) => (o.status === 'rejected' ? [{ r: wanted[i]!, error: o.reason as Error }] : []));
    if (failures.length > 0) {
      // A replica that never became ready is not left half-started.
      for (const { r } of failures) await this.serialized(r.name, () => this.removeReplica(r)).catch(() => undefined);
      const first = failures[0]!.error;
      throw new SandboxError('COMPONENT_DIED', `scaling ${service} to ${replicas}: ${failures.map((f) => `${f.r.name} did not start (${f.error.message})`).join('; ')}`, {
        ...(isSandboxError(first) ? { details: first.details, ...(first.hint ? { hint: first.hint } : {}) } : {}),
      });
    }
    const instances = this.instancesOf(service);
    return { service, replicas: instances.length, max, started, stopped, restarted, instances: instances.map((s) => this.statusOf(s)) };
  }

  private async removeReplica(r: Supervised): Promise<void> {
    if (r.restartTimer) clearTimeout(r.restartTimer);
    r.restartTimer = undefined;
    r.stopping = true;
    await r.process?.stop();
    r.state = 'stopped';
    this.services.delete(r.name);
  }

  /** Stop one service and keep it down (operator action; also used by tests). */
  stop(name: string): Promise<void> {
    return this.serialized(this.processKey(name), () => this.stopNow(name));
  }

  /** Stops the process: a service sharing one stops with every other service it serves. */
  private async stopNow(name: string): Promise<void> {
    const s = this.require(name);
    const members = this.membersOf(s);
    for (const m of members) {
      if (m.restartTimer) clearTimeout(m.restartTimer);
      m.restartTimer = undefined;
      m.stopping = true;
    }
    await s.process?.stop();
    for (const m of members) {
      m.stopping = false;
      m.state = 'stopped';
    }
  }

  /**
   * Change how a service is restarted when it exits. A crash-loop fault uses 'on-failure' with
   * crashAfterMs: every start exits shortly after, and the supervisor keeps restarting it.
   */
  async setRestartPolicy(name: string, policy: RestartPolicy): Promise<void> {
    const s = this.require(name);
    s.policy = policy;
    s.backoffStep = 0;
    if (policy.policy === 'on-failure' && !s.process?.running && !s.restartTimer) {
      await this.launch(s, true);
    }
  }

  async stopAll(): Promise<void> {
    const all = [...this.services.values()].reverse();
    for (const s of all) {
      s.stopping = true;
      if (s.restartTimer) clearTimeout(s.restartTimer);
    }
    // A shared process appears once per service it serves: stopped once.
    await Promise.all([...new Set(all.map((s) => s.process))].map((p) => p?.stop()));
    for (const s of all) s.state = 'stopped';
  }

  private require(name: string): Supervised {
    const s = this.services.get(name);
    if (!s) {
      throw new SandboxError('UNKNOWN_COMPONENT', `unknown service "${name}"`, {
        hint: `supervised services: ${[...this.services.keys()].join(', ')}`,
      });
    }
    return s;
  }

  private record(body: SupervisorEventBody): void {
    const event = { ...body, seq: ++this.seq, at: new Date().toISOString() } as SupervisorEvent;
    this.events.push(event);
    if (this.events.length > 5000) this.events.splice(0, 1000);
    this.emit('event', event);
  }

  /** Launches in flight per shared process: a second request (two members' restart timers) joins the first. */
  private readonly launching = new Map<string, Promise<void>>();

  private launch(s: Supervised, isRestart: boolean): Promise<void> {
    const shared = s.spec.sharedProcess && s.index === 1 ? s.spec.sharedProcess : undefined;
    if (!shared) return this.launchProcess(s, [s], isRestart);
    const inFlight = this.launching.get(shared);
    if (inFlight) return inFlight;
    const launched = this.launchProcess(s, this.membersOf(s), isRestart).finally(() => this.launching.delete(shared));
    this.launching.set(shared, launched);
    return launched;
  }

  /**
   * Spawn one process for `members` (one instance, or every service of a shared process), then
   * wait until each member answers its readiness path. `s` is the member whose policy asked.
   */
  private async launchProcess(s: Supervised, members: Supervised[], isRestart: boolean): Promise<void> {
    const { spec } = s;
    const shared = s.index === 1 ? spec.sharedProcess : undefined;
    const processName = shared ?? s.name;
    for (const m of members) {
      if (isRestart) m.restarts += 1;
      m.state = 'starting';
      delete m.reason;
    }
    const crashAfter = s.policy.policy === 'on-failure' ? s.policy.crashAfterMs : undefined;
    // One service: PORT and its names. A shared process: its own name, and PORT_<SERVICE> per
    // service (portVariable in stack/services.ts); the process names each service's logs itself.
    const identity: Record<string, string> = shared
      ? {
          SERVICE_NAME: shared,
          OTEL_SERVICE_NAME: shared,
          SERVICE_INSTANCE: shared,
          ...Object.fromEntries(members.map((m) => [portVariable(m.spec.name), String(m.port)])),
        }
      : {
          SERVICE_NAME: spec.name,
          // The name in traces and logs (OpenTelemetry's variable) is the catalog name too, the one
          // the scrape targets carry as `service` and scenarios query Loki and Tempo by: one
          // OTEL_SERVICE_NAME in the user's shell must not make every process the same service.
          // OTEL_RESOURCE_ATTRIBUTES passes through (deployment.environment and the like).
          OTEL_SERVICE_NAME: spec.name,
          // A replica is the same service (logs, traces) with state of its own (a crash loop
          // injected into the primary is not resumed by a replica).
          SERVICE_INSTANCE: s.name,
          PORT: String(s.port),
        };
    const proc = await ManagedProcess.spawn({
      name: processName,
      command: process.execPath,
      args: [...(spec.nodeFlags ?? []), ...(this.options.launcher ?? tsxLauncher(this.options.projectRoot)).args(join(this.options.projectRoot, spec.entry))],
      cwd: this.options.projectRoot,
      env: {
        ...process.env,
        ...this.options.commonEnv,
        ...Object.assign({}, ...members.map((m) => this.options.env(m.spec))),
        ...identity,
        HOST: this.host,
        ...(crashAfter !== undefined ? { SANDBOX_CRASH_AFTER_MS: String(crashAfter) } : {}),
      },
      logFile: join(this.options.logDir, `${processName}.log`),
      registry: this.options.registry,
      session: this.options.session,
    });
    for (const m of members) {
      m.process = proc;
      this.record({ kind: 'process-start', service: m.name, pid: proc.pid, restarts: m.restarts });
      void proc.exited.then((exit) => this.onExit(m, proc, exit.code, exit.signal));
    }
    const ready = await Promise.allSettled(
      members.map(async (m) => {
        await waitForHttpReady({
          component: m.name,
          url: `http://${this.host}:${m.port}${m.spec.readiness.path}`,
          timeoutMs: m.spec.readiness.timeoutMs,
          process: proc,
        });
        if (m.process === proc && proc.running) {
          m.state = 'ready';
          if (m.policy.policy !== 'on-failure' || m.policy.crashAfterMs === undefined) m.backoffStep = 0;
        }
      }),
    );
    const failed = ready.flatMap((o, i) => (o.status === 'rejected' ? [{ m: members[i]!, error: o.reason as Error }] : []));
    if (failed.length === 0) return;
    // A crash-looping service may die before it is ready; the policy handles that.
    if (s.policy.policy === 'on-failure') return;
    for (const { m, error } of failed) {
      m.state = 'failed';
      m.reason = error.message;
    }
    throw failed[0]!.error;
  }

  private onExit(s: Supervised, proc: ManagedProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.process !== proc) return;
    const expected = s.stopping;
    this.record({ kind: 'process-exit', service: s.name, code, signal, expected });
    if (expected) {
      s.state = 'stopped';
      return;
    }
    s.state = 'failed';
    s.reason = `exited (${signal ?? `code ${code}`})`;
    if (s.policy.policy === 'on-failure') {
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** s.backoffStep);
      s.backoffStep += 1;
      s.state = 'starting';
      s.restartTimer = setTimeout(() => {
        s.restartTimer = undefined;
        if (!s.stopping) void this.launch(s, true).catch(() => undefined);
      }, delay);
    }
  }
}

/** A supervised instance before its first launch (the primary is index 1, replicas 2, 3, ...). */
function supervised(spec: ServiceSpec, name: string, index: number, port: number): Supervised {
  return { spec, name, index, port, process: undefined, state: 'stopped', restarts: 0, policy: { policy: 'never' }, backoffStep: 0, stopping: false, restartTimer: undefined };
}
