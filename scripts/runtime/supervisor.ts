import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { SandboxError } from '../core/errors.ts';
import type { ServiceSpec } from '../stack/types.ts';
import { tsxLauncher, type HostLauncher } from './processes/host-build.ts';
import { ManagedProcess } from './processes/managed-process.ts';
import type { PidRegistry } from './processes/pid-registry.ts';
import { waitForHttpReady } from './processes/readiness.ts';
import type { ComponentStatus } from './types.ts';

/** 'never': a crashed process stays down (until remediation or the operator restarts it).
 *  'on-failure': restart with exponential back-off, as an orchestrator would (crash loops). */
export type RestartPolicy = { policy: 'never' } | { policy: 'on-failure'; crashAfterMs?: number };

export type SupervisorEvent =
  | { seq: number; at: string; kind: 'process-start'; service: string; pid: number; restarts: number }
  | { seq: number; at: string; kind: 'process-exit'; service: string; code: number | null; signal: string | null; expected: boolean };

type SupervisorEventBody = SupervisorEvent extends infer E ? (E extends SupervisorEvent ? Omit<E, 'seq' | 'at'> : never) : never;

interface Supervised {
  spec: ServiceSpec;
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
  host?: string;
  /** How a service's entry is started: from the host build (see host-build.ts); default tsx. */
  launcher?: HostLauncher;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 5000;

/**
 * Owns the sandbox's TypeScript processes in every runtime: starts them, knows when one died,
 * restarts it when asked (or by policy, with back-off) and counts restarts. Exposes
 * process_restarts_total{service} for Prometheus.
 */
export class Supervisor extends EventEmitter<{ event: [SupervisorEvent] }> {
  readonly metrics = new Registry();
  readonly events: SupervisorEvent[] = [];
  private readonly services = new Map<string, Supervised>();
  private seq = 0;
  private readonly restartsTotal = new Counter({
    name: 'process_restarts_total',
    help: 'Restarts of a supervised sandbox process (by remediation, operator or restart policy).',
    labelNames: ['service'],
    registers: [this.metrics],
  });
  private readonly upGauge = new Gauge({
    name: 'sandbox_process_running',
    help: '1 while the supervised process is running.',
    labelNames: ['service'],
    registers: [this.metrics],
  });

  constructor(private readonly options: SupervisorOptions) {
    super();
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  urlOf(name: string): string {
    const s = this.require(name);
    return `http://${this.host}:${s.port}`;
  }

  /** Start every spec, in groups of equal startOrder, and wait until each is ready. */
  async startAll(specs: readonly ServiceSpec[]): Promise<void> {
    for (const spec of specs) {
      this.services.set(spec.name, {
        spec,
        port: this.options.port(spec),
        process: undefined,
        state: 'stopped',
        restarts: 0,
        policy: { policy: 'never' },
        backoffStep: 0,
        stopping: false,
        restartTimer: undefined,
      });
      this.restartsTotal.labels(spec.name).inc(0);
    }
    const orders = [...new Set(specs.map((s) => s.startOrder))].sort((a, b) => a - b);
    for (const order of orders) {
      await Promise.all(specs.filter((s) => s.startOrder === order).map((s) => this.launch(this.require(s.name), false)));
    }
  }

  status(): ComponentStatus[] {
    return [...this.services.values()].map((s) => ({
      name: s.spec.name,
      state: s.state,
      url: `http://${this.host}:${s.port}`,
      ...(s.process?.running ? { pid: s.process.pid } : {}),
      restarts: s.restarts,
      ...(s.reason ? { reason: s.reason } : {}),
    }));
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
    return this.serialized(name, () => this.restartNow(name));
  }

  private readonly operations = new Map<string, Promise<unknown>>();

  private serialized<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const next = (this.operations.get(name) ?? Promise.resolve()).catch(() => undefined).then(operation);
    this.operations.set(name, next.catch(() => undefined));
    return next;
  }

  private async restartNow(name: string): Promise<ComponentStatus> {
    const s = this.require(name);
    if (s.restartTimer) clearTimeout(s.restartTimer);
    s.restartTimer = undefined;
    if (s.process?.running) {
      s.stopping = true;
      await s.process.stop();
      s.stopping = false;
    }
    await this.launch(s, true);
    return this.status().find((x) => x.name === name)!;
  }

  /** Stop one service and keep it down (operator action; also used by tests). */
  stop(name: string): Promise<void> {
    return this.serialized(name, () => this.stopNow(name));
  }

  private async stopNow(name: string): Promise<void> {
    const s = this.require(name);
    if (s.restartTimer) clearTimeout(s.restartTimer);
    s.restartTimer = undefined;
    s.stopping = true;
    await s.process?.stop();
    s.stopping = false;
    s.state = 'stopped';
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
    await Promise.all(all.map((s) => s.process?.stop()));
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

  private async launch(s: Supervised, isRestart: boolean): Promise<void> {
    const { spec } = s;
    if (isRestart) {
      s.restarts += 1;
      this.restartsTotal.labels(spec.name).inc();
    }
    const crashAfter = s.policy.policy === 'on-failure' ? s.policy.crashAfterMs : undefined;
    s.state = 'starting';
    delete s.reason;
    const proc = await ManagedProcess.spawn({
      name: spec.name,
      command: process.execPath,
      args: (this.options.launcher ?? tsxLauncher(this.options.projectRoot)).args(join(this.options.projectRoot, spec.entry)),
      cwd: this.options.projectRoot,
      env: {
        ...process.env,
        ...this.options.commonEnv,
        ...this.options.env(spec),
        SERVICE_NAME: spec.name,
        HOST: this.host,
        PORT: String(s.port),
        ...(crashAfter !== undefined ? { SANDBOX_CRASH_AFTER_MS: String(crashAfter) } : {}),
      },
      logFile: join(this.options.logDir, `${spec.name}.log`),
      registry: this.options.registry,
      session: this.options.session,
    });
    s.process = proc;
    this.upGauge.labels(spec.name).set(1);
    this.record({ kind: 'process-start', service: spec.name, pid: proc.pid, restarts: s.restarts });
    void proc.exited.then((exit) => this.onExit(s, proc, exit.code, exit.signal));
    try {
      await waitForHttpReady({
        component: spec.name,
        url: `http://${this.host}:${s.port}${spec.readiness.path}`,
        timeoutMs: spec.readiness.timeoutMs,
        process: proc,
      });
      if (s.process === proc && proc.running) {
        s.state = 'ready';
        if (crashAfter === undefined) s.backoffStep = 0;
      }
    } catch (e) {
      // A crash-looping service may die before it is ready; the policy handles that.
      if (s.policy.policy === 'on-failure') return;
      s.state = 'failed';
      s.reason = (e as Error).message;
      throw e;
    }
  }

  private onExit(s: Supervised, proc: ManagedProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.process !== proc) return;
    this.upGauge.labels(s.spec.name).set(0);
    const expected = s.stopping;
    this.record({ kind: 'process-exit', service: s.spec.name, code, signal, expected });
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
