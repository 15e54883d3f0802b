import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.ts';
import type { FaultManager } from './chaos/fault-manager.ts';
import type { ServiceMetrics } from './metrics.ts';

/** What a service module gets to build itself. */
export interface ServiceKit {
  config: ServiceConfig;
  env: NodeJS.ProcessEnv;
  log: Logger;
  metrics: ServiceMetrics;
}

/** A built service, not yet listening. */
export interface BuiltService {
  app: FastifyInstance;
  faults: FaultManager;
  /** Stops background work (probes, timers) before the process exits. */
  close?(): Promise<void> | void;
}

/** The module an entry file loads after tracing is set up. */
export interface ServiceModule {
  build(kit: ServiceKit): Promise<BuiltService>;
}
