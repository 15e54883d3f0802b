import type { FastifyInstance } from 'fastify';
import { operatorGuard } from '../shared/chaos/routes.ts';
import { predictRequestSchema } from '../shared/predict-schema.ts';
import { describeIssues } from '../shared/validation.ts';
import type { BreakerMode, CircuitBreaker } from './circuit-breaker.ts';
import type { FleetStatus } from './fleet-status.ts';
import { MlUnreachableError, upstreamListProblem, type MlClient } from './ml-client.ts';

interface MlPrediction {
  rul: number | null;
  interval: [number, number] | null;
  modelVersion: string;
}

/** The public API: predictions through ml-service, and the fleet view. */
export function registerPublicRoutes(app: FastifyInstance, ml: MlClient, breaker: CircuitBreaker, fleet: FleetStatus): void {
  app.post('/predict', async (request, reply) => {
    const parsed = predictRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: `invalid request: ${describeIssues(parsed.error)}` });
    const body = parsed.data;
    if (!fleet.has(body.engineId)) return reply.code(404).send({ error: `unknown engine "${body.engineId}"; see GET /engines` });
    if (!breaker.allow()) return reply.code(503).send({ error: 'ml-service unavailable (circuit breaker open)' });

    let res;
    try {
      res = await ml.call('POST', '/predict', { body, correlationId: request.id });
    } catch (e) {
      breaker.failure();
      const err = e as MlUnreachableError;
      request.log.error({ err }, 'ml-service call failed');
      return err.timedOut
        ? reply.code(504).send({ error: `ml-service timed out: ${err.message}` })
        : reply.code(503).send({ error: `ml-service unreachable: ${err.message}` });
    }
    if (res.status >= 500) {
      breaker.failure();
      request.log.error({ ml_status: res.status }, 'ml-service answered with an error');
      return reply.code(502).send({ error: `ml-service failed: HTTP ${res.status}` });
    }
    breaker.success();
    if (res.status >= 400) return reply.code(res.status).send(res.body);
    const p = res.body as MlPrediction;
    fleet.record(body.engineId, { cycle: body.cycle, rul: p.rul, modelVersion: p.modelVersion, at: new Date().toISOString() });
    return { ...(res.body as object), correlationId: request.id };
  });

  app.get('/engines', async () => fleet.list());
  app.get<{ Params: { id: string } }>('/engines/:id/health', async (request, reply) => {
    if (!fleet.has(request.params.id)) return reply.code(404).send({ error: `unknown engine "${request.params.id}"; see GET /engines` });
    return fleet.health(request.params.id);
  });
}

const MODES: readonly BreakerMode[] = ['open', 'closed', 'auto'];

/** What remediation calls to trip or reset the breaker. Token-guarded like the chaos API. */
export function registerBreakerAdminRoutes(app: FastifyInstance, breaker: CircuitBreaker, token: string | undefined): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', operatorGuard(token, { loopbackOnly: false }));
    scope.get('/admin/circuit-breaker', async () => ({ mode: breaker.mode, state: breaker.state }));
    scope.post<{ Body: { state?: unknown } }>('/admin/circuit-breaker', async (request, reply) => {
      const state = request.body?.state;
      if (typeof state !== 'string' || !MODES.includes(state as BreakerMode)) {
        return reply.code(400).send({ error: `state: expected one of ${MODES.join(', ')}` });
      }
      breaker.setMode(state as BreakerMode);
      return { mode: breaker.mode, state: breaker.state };
    });
  });
}

/**
 * The ml-service instances the gateway spreads calls over (round-robin), primary first. The
 * sandbox sets the list when it scales ml-service (scripts/runtime/scaling.ts) and remediation
 * reads it to verify a scale-out. Token-guarded like the breaker.
 */
export function registerUpstreamAdminRoutes(app: FastifyInstance, ml: MlClient, token: string | undefined): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', operatorGuard(token, { loopbackOnly: false }));
    scope.get('/admin/upstreams', async () => ({ upstreams: ml.upstreams, primary: ml.primary }));
    scope.put<{ Body: { upstreams?: unknown } }>('/admin/upstreams', async (request, reply) => {
      const upstreams = request.body?.upstreams;
      const problem = upstreamListProblem(upstreams);
      if (problem) return reply.code(400).send({ error: problem });
      const list = (upstreams as string[]).map((u) => u.replace(/\/+$/, ''));
      ml.setUpstreams(list);
      request.log.info({ upstreams: list }, 'ml-service upstreams set');
      return { upstreams: ml.upstreams, primary: ml.primary };
    });
  });
}
