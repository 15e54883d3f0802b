import { SandboxError } from '../../core/errors.ts';
import type { ComponentStatus, StackPlan, StackRuntime } from '../types.ts';

/** The monitoring stack a team already operates, which the sandbox uses instead of its own. */
export interface AttachTarget {
  prometheusUrl: string;
  alertmanagerUrl: string;
}

/**
 * `--attach`: no Prometheus or Alertmanager of the sandbox's own. The sample services, sink and
 * controller still run here; the team's Prometheus scrapes them (the discovery files the sandbox
 * writes say where) and evaluates the team's own rules, and the scenarios judge what it does.
 * Other stack components are reported unavailable, with why.
 */
export class AttachedRuntime implements StackRuntime {
  readonly name = 'attached' as const;
  readonly hostAddress = '127.0.0.1';
  private statuses: ComponentStatus[] = [];

  constructor(private readonly target: AttachTarget) {}

  peerAddress(component: string): string {
    const url = component === 'prometheus' ? this.target.prometheusUrl : component === 'alertmanager' ? this.target.alertmanagerUrl : undefined;
    return url ? new URL(url).host : '127.0.0.1';
  }

  async start(plan: StackPlan): Promise<ComponentStatus[]> {
    const external = new Map([
      ['prometheus', this.target.prometheusUrl],
      ['alertmanager', this.target.alertmanagerUrl],
    ]);
    const problems: string[] = [];
    this.statuses = await Promise.all(
      plan.components.map(async (c): Promise<ComponentStatus> => {
        const url = external.get(c.name);
        if (!url) return { name: c.name, state: 'unavailable', reason: 'attached to an existing stack: the sandbox runs none of its own', hint: 'run without --attach to get it' };
        const ready = await fetch(`${url.replace(/\/$/, '')}/-/ready`, { signal: AbortSignal.timeout(3000) })
          .then(async (r) => {
            await r.body?.cancel();
            return r.ok;
          })
          .catch(() => false);
        if (!ready) problems.push(`${c.name} at ${url} does not answer /-/ready`);
        return { name: c.name, state: ready ? 'ready' : 'failed', url: url.replace(/\/$/, ''), ...(ready ? {} : { reason: 'does not answer /-/ready' }) };
      }),
    );
    if (problems.length > 0) {
      throw new SandboxError('RUNTIME_UNAVAILABLE', `cannot attach: ${problems.join('; ')}`, {
        hint: 'check --prometheus-url and --alertmanager-url (base URLs such as http://127.0.0.1:9090)',
      });
    }
    return this.statuses;
  }

  status(): ComponentStatus[] {
    return this.statuses;
  }

  async stop(): Promise<void> {
    // Nothing of the team's is ours to stop.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
