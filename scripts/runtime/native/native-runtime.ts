import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from '../../core/errors.ts';
import type { LaunchContext, StackComponentSpec } from '../../stack/types.ts';
import { ManagedProcess } from '../processes/managed-process.ts';
import { PROJECT_ROOT } from '../../core/paths.ts';
import type { PidRegistry } from '../processes/pid-registry.ts';
import { waitForHttpReady } from '../processes/readiness.ts';
import type { ComponentStatus, StackPlan, StackRuntime } from '../types.ts';
import { findBinary } from './binaries.ts';
import { allSettledOrThrow } from '../../core/settle.ts';
import { findStackComponent } from '../../stack/catalog.ts';
import { readinessHeaders } from '../../stack/stack-auth.ts';
import { leftOutStatus } from '../components.ts';

/**
 * Runs each stack component as a child process of a binary found on PATH. A component without a
 * binary is `unavailable` with the reason and how to get it; a required one makes start() fail.
 */
export class NativeRuntime implements StackRuntime {
  readonly name = 'native' as const;
  readonly hostAddress = '127.0.0.1';
  private readonly processes = new Map<string, ManagedProcess>();
  private readonly statuses = new Map<string, ComponentStatus>();
  private plan: StackPlan | undefined;

  constructor(
    private readonly registry: PidRegistry,
    private readonly session: string,
  ) {}

  peerAddress(component: string, port?: string): string {
    if (!this.plan) throw new Error('peerAddress() before start()');
    const spec = this.plan.components.find((c) => c.name === component);
    if (!spec) throw new SandboxError('UNKNOWN_COMPONENT', `unknown stack component "${component}"`);
    return `127.0.0.1:${this.plan.hostPort(component, port ?? spec.primaryPort)}`;
  }

  async prepare(plan: StackPlan): Promise<void> {
    this.plan = plan;
  }

  /** Not left out, and its binary is on PATH. */
  runs(component: string): boolean {
    const spec = findStackComponent(component);
    if (!spec || this.plan?.leftOut?.has(component)) return false;
    return !spec.dockerOnly && findBinary(spec.binaries) !== null;
  }

  async start(plan: StackPlan): Promise<ComponentStatus[]> {
    this.plan = plan;
    const missing: string[] = [];
    for (const c of plan.components) {
      if (plan.leftOut?.has(c.name)) {
        this.statuses.set(c.name, leftOutStatus(c.name));
      } else if (c.dockerOnly || !findBinary(c.binaries)) {
        this.statuses.set(c.name, {
          name: c.name,
          state: 'unavailable',
          reason: c.dockerOnly || c.binaries.length === 0 ? 'no native binary exists: docker runtime only' : `no ${c.binaries.join(' or ')} binary on PATH`,
          hint: c.installHint,
        });
        if (!c.optional) missing.push(c.name);
      }
    }
    if (missing.length > 0) {
      throw new SandboxError('BINARY_MISSING', `the native runtime needs ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed`, {
        details: missing.map((m) => `${m}: ${this.statuses.get(m)?.reason}; ${this.statuses.get(m)?.hint}`),
        hint: 'run `npm run sandbox` once (it installs them on Debian/Ubuntu as root), install them yourself, or use `--runtime docker`',
      });
    }
    // Components with the same start order start together; cold start is as slow as the slowest.
    const orders = [...new Set(plan.components.map((c) => c.startOrder))].sort((a, b) => a - b);
    for (const order of orders) {
      const batch = plan.components.filter((c) => c.startOrder === order && !this.statuses.has(c.name));
      await allSettledOrThrow(batch.map((c) => this.startOne(c, plan)));
    }
    return this.status();
  }

  private async startOne(spec: StackComponentSpec, plan: StackPlan): Promise<void> {
    const binary = findBinary(spec.binaries)!;
    const dataDir = plan.dataDir(spec.name);
    mkdirSync(dataDir, { recursive: true });
    const primary = plan.hostPort(spec.name, spec.primaryPort);
    const url = `http://127.0.0.1:${primary}`;
    const ctx: LaunchContext = {
      configDir: plan.configDir(spec.name),
      dataDir,
      listenHost: '127.0.0.1',
      port: (name) => plan.hostPort(spec.name, name),
      externalUrl: url,
      peer: (component, port) => this.peerAddress(component, port),
      // Natively a component reads project directories (dashboards) straight from the checkout.
      projectPath: (relative) => join(PROJECT_ROOT, relative),
      binary,
      stackPassword: plan.stackPassword ?? '',
    };
    const args = spec.args(ctx);
    const env = spec.env?.(ctx);
    this.statuses.set(spec.name, { name: spec.name, state: 'starting', url });
    const proc = await ManagedProcess.spawn({
      name: spec.name,
      command: binary,
      args,
      ...(env ? { env: { ...process.env, ...env } } : {}),
      logFile: plan.logFile(spec.name),
      registry: this.registry,
      session: this.session,
    });
    this.processes.set(spec.name, proc);
    void proc.exited.then((exit) => {
      const s = this.statuses.get(spec.name);
      if (s && s.state !== 'stopped') {
        this.statuses.set(spec.name, { ...s, state: 'failed', reason: `exited (${exit.signal ?? `code ${exit.code}`})`, hint: `see ${proc.logFile}` });
      }
    });
    try {
      await waitForHttpReady({
        component: spec.name,
        url: `http://127.0.0.1:${plan.hostPort(spec.name, spec.readiness.port)}${spec.readiness.path}`,
        headers: readinessHeaders(spec, plan.stackPassword),
        timeoutMs: spec.readiness.timeoutMs,
        process: proc,
      });
    } catch (e) {
      this.statuses.set(spec.name, { name: spec.name, state: 'failed', url, reason: (e as Error).message });
      throw e;
    }
    this.statuses.set(spec.name, { name: spec.name, state: 'ready', url, pid: proc.pid });
  }

  status(): ComponentStatus[] {
    return [...this.statuses.values()];
  }

  async signal(component: string, signal: NodeJS.Signals): Promise<void> {
    const proc = this.processes.get(component);
    if (!proc?.running) throw new SandboxError('UNKNOWN_COMPONENT', `${component} is not running`);
    proc.kill(signal);
  }

  async restartFresh(component: string): Promise<void> {
    const plan = this.plan;
    const spec = plan?.components.find((c) => c.name === component);
    const proc = this.processes.get(component);
    if (!plan || !spec || !proc) throw new SandboxError('UNKNOWN_COMPONENT', `${component} is not running`);
    // 'stopped' first, so the exit is not reported as a failure.
    this.statuses.set(component, { ...this.statuses.get(component)!, state: 'stopped' });
    await proc.stop();
    this.processes.delete(component);
    rmSync(plan.dataDir(component), { recursive: true, force: true });
    await this.startOne(spec, plan);
  }

  async stop(): Promise<void> {
    const running = [...this.processes.values()];
    // Reverse start order: Prometheus goes before the Alertmanager it sends to.
    running.reverse();
    for (const p of running) {
      const s = this.statuses.get(p.name);
      if (s) this.statuses.set(p.name, { ...s, state: 'stopped' });
    }
    await Promise.all(running.map((p) => p.stop()));
    this.processes.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
