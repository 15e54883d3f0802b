import { trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { cloudWatchMetrics } from '../shared/aws/recorder.ts';
import type { Signals } from '../shared/config.ts';
import { operatorGuard } from '../shared/chaos/routes.ts';
import { predictRequestSchema } from '../shared/predict-schema.ts';
import { seededRng } from '../shared/random.ts';
import { describeIssues } from '../shared/validation.ts';
import type { ModelMetrics } from './metrics.ts';
import { NoRollbackTargetError, type ModelManager } from './model-manager.ts';
import { predict } from './model.ts';
import { ModelNotFoundError } from './registry/backend.ts';

const tracer = trace.getTracer('ml-service');

export function registerPredictRoute(app: FastifyInstance, models: ModelManager, metrics: ModelMetrics, signals: Signals): void {
  app.post('/predict', async (request, reply) => {
    const parsed = predictRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: `invalid request: ${describeIssues(parsed.error)}` });
    const model = models.current;
    if (!model) return reply.code(503).send({ error: 'no model loaded' });
    const body = parsed.data;
    // Seeded per reading, so the same request always gets the same interval.
    const rng = seededRng(hash(body.engineId) ^ body.cycle);
    const result = signals.traces
      ? tracer.startActiveSpan('model.inference', { attributes: { 'model.version': model.version } }, (span) => {
          try {
            return predict(model, body.sensors, rng);
          } finally {
            span.end();
          }
        })
      : predict(model, body.sensors, rng);
    if (signals.metrics) {
      metrics.predictions.labels(model.version).inc();
      if (!Number.isFinite(result.rul)) metrics.invalid.labels(model.version).inc();
      else if (body.trueRul !== undefined) {
        const error = Math.abs(result.rul - body.trueRul);
        metrics.error.labels(model.version).observe(error);
        cloudWatchMetrics().record('PredictionError', 'None', error, { ModelVersion: model.version });
      }
    }
    if (signals.logs && !Number.isFinite(result.rul)) {
      request.log.warn({ model_version: model.version, engine_id: body.engineId }, 'model produced a non-finite prediction');
    }
    return { engineId: body.engineId, cycle: body.cycle, rul: result.rul, interval: result.interval, modelVersion: model.version };
  });
}

/** Deploy and roll back: what remediation calls. Token-guarded like the chaos API. */
export function registerModelAdminRoutes(app: FastifyInstance, models: ModelManager, token: string | undefined): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', operatorGuard(token, { loopbackOnly: false }));
    scope.get('/admin/model', async () => {
      const m = models.current;
      return {
        ...models.describe(),
        model: m && { version: m.version, description: m.description, validation: m.validation },
        available: await models.versions(),
      };
    });
    scope.post<{ Body: { version?: unknown } }>('/admin/model/deploy', async (request, reply) => {
      const version = request.body?.version;
      if (typeof version !== 'string' || !version) return reply.code(400).send({ error: 'version: expected a model version such as "v2"' });
      try {
        const m = await models.deploy(version, 'admin deploy');
        return { current: m.version };
      } catch (e) {
        if (e instanceof ModelNotFoundError) return reply.code(404).send({ error: e.message });
        return registryUnreachable(e, reply);
      }
    });
    scope.post('/admin/model/rollback', async (_request, reply) => {
      const from = models.current?.version;
      try {
        const m = await models.rollback('admin rollback');
        return { current: m.version, from };
      } catch (e) {
        if (e instanceof NoRollbackTargetError) return reply.code(409).send({ error: e.message });
        return registryUnreachable(e, reply);
      }
    });
  });
}

/** A registry that cannot be reached is a 503 with the reason, not an opaque 500. */
function registryUnreachable(e: unknown, reply: FastifyReply) {
  if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw e;
  return reply.code(503).send({ error: `model registry unreachable: ${(e as Error).message}` });
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
