import type { Logger } from 'pino';
import type { ActionName, ActionSpecOf } from '../playbook-schema.ts';
import type { ControlClient } from '../../../core/control-client.ts';

export interface ActionContext {
  service: string;
  /** The sandbox's control API. */
  sandbox: ControlClient;
  /** x-chaos-token for the services' operator endpoints. */
  token: string | undefined;
  /** Per HTTP call. */
  timeoutMs: number;
  verifyTimeoutMs: number;
  signal: AbortSignal;
  log: Logger;
}

/** What a succeeded action did, for the record. Failures throw ActionFailure with the reason. */
export interface ActionOutcome {
  detail: string;
}

export type ActionExecutor<K extends ActionName> = (spec: ActionSpecOf<K>, ctx: ActionContext) => Promise<ActionOutcome>;

/** What an action would do, for dry-run records and logs. */
export type Describer<K extends ActionName> = (spec: ActionSpecOf<K>, service: string) => string;
