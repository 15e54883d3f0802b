/**
 * The control API's wire shapes (runtime/control-api.ts serves them, core/control-client.ts
 * reads them): defined here, at the bottom, so every part that talks to a sandbox (the
 * remediation controller, faults, the scenario engine, the workshop, the CLI, tests) shares
 * one definition.
 */

export type ComponentState = 'ready' | 'starting' | 'unavailable' | 'failed' | 'stopped';

/** One line of `sandbox status`: the contract's shape plus optional detail. */
export interface ComponentStatus {
  name: string;
  state: ComponentState;
  /** URL reachable from the host. */
  url?: string;
  /** Why it is unavailable or failed. */
  reason?: string;
  /** How to fix that. */
  hint?: string;
  pid?: number;
  containerId?: string;
  restarts?: number;
}

/** 'attached': a Prometheus and Alertmanager the team already runs (`--attach`). */
export type RuntimeName = 'native' | 'docker' | 'attached';

/** GET /status. */
export interface StatusDocument {
  runtime: RuntimeName;
  session: string;
  components: ComponentStatus[];
}

/** 'never': a crashed process stays down (until remediation or the operator restarts it).
 *  'on-failure': restart with exponential back-off, as an orchestrator would (crash loops). */
export type RestartPolicy = { policy: 'never' } | { policy: 'on-failure'; crashAfterMs?: number };

/** GET /events: process starts and exits as the supervisor saw them, numbered. */
export type SupervisorEvent =
  | { seq: number; at: string; kind: 'process-start'; service: string; pid: number; restarts: number }
  | { seq: number; at: string; kind: 'process-exit'; service: string; code: number | null; signal: string | null; expected: boolean };

/** POST /stack/:component/reload|reset. */
export interface StackActionReport {
  component: string;
  ok: boolean;
  /** What happened, or why it failed (the component's own error, e.g. a rule file's parse error). */
  detail: string;
}
