import { EventEmitter } from 'node:events';
import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ModelArtifact } from './model.ts';
import type { DeploymentState, ModelRegistryBackend } from './registry/backend.ts';
import type { ModelMetrics } from './metrics.ts';

export const DEFAULT_VERSION = 'v2';
const HISTORY_LIMIT = 100;
const tracer = trace.getTracer('ml-service');

export class NoRollbackTargetError extends Error {}

/**
 * The model being served, and deployments as the registry records them. Emits 'deployed' with
 * { version, reason } after every switch.
 */
export class ModelManager extends EventEmitter<{ deployed: [{ version: string; reason: string }] }> {
  private model?: ModelArtifact;
  private state: DeploymentState = { current: '', history: [] };

  constructor(
    private readonly registry: ModelRegistryBackend,
    private readonly metrics: ModelMetrics,
    private readonly log: Logger,
  ) {
    super();
  }

  get current(): ModelArtifact | undefined {
    return this.model;
  }

  /** Serves the recorded current version (a deployment survives restarts), else the default. */
  async init(): Promise<void> {
    const recorded = await this.registry.readDeployments();
    if (recorded) {
      this.state = recorded;
      await this.load(recorded.current);
    } else {
      await this.deploy(DEFAULT_VERSION, 'initial deployment');
    }
  }

  async deploy(version: string, reason: string): Promise<ModelArtifact> {
    await this.load(version);
    this.state = {
      current: version,
      history: [...this.state.history, { version, at: new Date().toISOString(), reason }].slice(-HISTORY_LIMIT),
    };
    await this.registry.writeDeployments(this.state);
    this.log.info({ model_version: version, reason }, 'model deployed');
    this.emit('deployed', { version, reason });
    return this.model!;
  }

  /** Back to the most recent earlier deployment whose version passed offline validation. */
  async rollback(reason: string): Promise<ModelArtifact> {
    const current = this.state.current;
    const candidates = [...this.state.history].reverse().filter((h) => h.version !== current);
    for (const { version } of candidates) {
      const model = await this.registry.getModel(version).catch(() => undefined);
      if (model?.validation.passed) return this.deploy(version, reason);
    }
    throw new NoRollbackTargetError(`no earlier deployment of a validated version to roll back to from ${current}`);
  }

  describe(): { current: string; history: DeploymentState['history'] } {
    return { current: this.state.current, history: this.state.history };
  }

  async versions(): Promise<string[]> {
    return this.registry.listVersions();
  }

  private async load(version: string): Promise<void> {
    await tracer.startActiveSpan('model.load', { attributes: { 'model.version': version } }, async (span) => {
      try {
        this.model = await this.registry.getModel(version);
        this.metrics.info.reset();
        this.metrics.info.labels(version).set(1);
      } finally {
        span.end();
      }
    });
  }
}
