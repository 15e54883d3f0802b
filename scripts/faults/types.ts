import type { SandboxConnection } from '../runtime/connection.ts';
import type { FaultType } from './catalog.ts';

export interface FaultRequest {
  type: FaultType;
  service: string;
  params: Record<string, unknown>;
  /** null: until cleared (by the scenario's end, remediation or the operator). */
  durationSeconds: number | null;
}

/** A fault in effect; clear() is idempotent and safe after the process died or was restarted. */
export interface ActiveFault {
  readonly id: string;
  readonly request: FaultRequest;
  clear(): Promise<void>;
}

/** Puts one kind of fault into a running sandbox. */
export interface FaultInjector {
  readonly types: readonly FaultType[];
  inject(sandbox: SandboxConnection, request: FaultRequest): Promise<ActiveFault>;
}
