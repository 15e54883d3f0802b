import type { Logger } from 'pino';
import type { z } from 'zod';
import type { FaultType } from '../../../scripts/faults/catalog.ts';

/** What a fault implementation gets from the service it runs in. */
export interface FaultContext {
  service: string;
  /** This fault as the API reports it (id, params, expiry). */
  fault: FaultView;
  log: Logger;
  /** Ends this fault from the inside (remediation undid it, or it ran its course). */
  end(reason: string): void;
}

/** A public request as the request-path faults (latency, errors) see it. */
export interface RequestInfo {
  method: string;
  route: string;
  path: string;
}

/** A running fault. Optional hooks let the service consult it on its hot paths. */
export interface FaultHandle {
  stop(): void | Promise<void>;
  /** Delays the request, or returns an HTTP status to fail it with. */
  beforeRequest?(req: RequestInfo): Promise<number | undefined> | number | undefined;
  /** True while calls to this dependency must fail. */
  blocks?(dependency: string): boolean;
}

export interface FaultDefinition<S extends z.ZodType = z.ZodType> {
  type: FaultType;
  params: S;
  /** Checks that need the service (a known dependency, an existing model version): a message naming the param, or null. */
  check?(params: z.infer<S>): Promise<string | null> | string | null;
  /** 202 when the effect comes after the response (crash); 201 otherwise. */
  status?: 201 | 202;
  start(params: z.infer<S>, ctx: FaultContext): FaultHandle | Promise<FaultHandle>;
}

export interface FaultView {
  id: string;
  type: FaultType;
  params: Record<string, unknown>;
  startedAt: string;
  expiresAt: string | null;
}

/** A rejected chaos request: the API answers 400 with this message. */
export class ChaosInputError extends Error {}
