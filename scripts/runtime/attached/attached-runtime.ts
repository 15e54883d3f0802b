import { SandboxError } from '../../core/errors.ts';
import type { ComponentStatus, StackPlan, StackRuntime } from '../types.ts';
import { readAttachTargets, removeAttachTargets } from './targets.ts';

/** The monitoring stack a team already operates, which the sandbox uses instead of its own. */
export interface AttachTarget {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Optional: the team's Loki and Tempo, for scenarios with logs, trace or correlation expectations. */
  lokiUrl?: string;
  tempoUrl?: string;
}

/**
 * `--attach`: no Prometheus or Alertmanager of the sandbox's own. The sample services, sink and
 * controller still run here; the team's Prometheus scrapes them (the discovery files the sandbox
 * writes say where) and evaluates the team's own rules, and the scenarios judge what it does.
 * Loki and Tempo are used when given (--loki-url, --tempo-url); other stack components are
 * reported unavailable, with why.
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

  async prepare(): Promise<void> {
    // Nothing to fetch: the team's stack is already there.
  }

  /** The sandbox runs no stack component of its own here. */
  runs(): boolean {
    return false;
  }

  async start(plan: StackPlan): Promise<ComponentStatus[]> {
    const external = new Map(
      Object.entries({ prometheus: this.target.prometheusUrl, alertmanager: this.target.alertmanagerUrl, loki: this.target.lokiUrl, tempo: this.target.tempoUrl }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    );
    const problems: string[] = [];
    this.statuses = await Promise.all(
      plan.components.map(async (c): Promise<ComponentStatus> => {
        const url = external.get(c.name);
        if (!url) {
          const flag = c.name === 'loki' || c.name === 'tempo' ? `give --${c.name}-url, or ` : '';
          return { name: c.name, state: 'unavailable', reason: 'attached to an existing stack: the sandbox runs none of its own', hint: `${flag}run without --attach to get it` };
        }
        // Each answers readiness where the catalog says (Prometheus /-/ready, Loki and Tempo /ready).
        const path = c.readiness?.path ?? '/-/ready';
        const ready = await fetch(`${url.replace(/\/$/, '')}${path}`, { signal: AbortSignal.timeout(3000) })
          .then(async (r) => {
            await r.body?.cancel();
            return r.ok;
          })
          .catch(() => false);
        if (!ready) problems.push(`${c.name} at ${url} does not answer ${path}`);
        return { name: c.name, state: ready ? 'ready' : 'failed', url: url.replace(/\/$/, ''), ...(ready ? {} : { reason: `does not answer ${path}` }) };
      }),
    );
    if (problems.length > 0) {
      throw new SandboxError('RUNTIME_UNAVAILABLE', `cannot attach: ${problems.join('; ')}`, {
        hint: 'check the --prometheus-url, --alertmanager-url, --loki-url and --tempo-url you gave (base URLs such as http://127.0.0.1:9090)',
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

  /**
   * Removes the attach targets files and waits (at most `timeoutMs`) until the team's Prometheus
   * no longer scrapes them: its discovery manager hands target updates to the scrape manager at
   * most every 5 s (discovery/manager.go, updatert), and a target stopped before that would be
   * scraped as down and alerted on.
   */
  async withdrawTargets(stateDir: string, timeoutMs = 8000): Promise<void> {
    const ours = new Set(readAttachTargets(stateDir).map((t) => t.target));
    removeAttachTargets(stateDir);
    if (ours.size === 0) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const active = await fetch(`${this.target.prometheusUrl}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => ((await r.json()) as { data: { activeTargets: { discoveredLabels: Record<string, string> }[] } }).data.activeTargets)
        .catch(() => null);
      if (active === null || !active.some((t) => ours.has(t.discoveredLabels.__address__ ?? ''))) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
