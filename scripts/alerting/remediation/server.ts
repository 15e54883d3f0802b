import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CONTROL_BODY_LIMIT, guardHook, isHealthOrMetrics, type GuardPolicy } from '../../core/control-guard.ts';
import type { RemediationController } from './controller.ts';
import type { RemediationMetrics } from './metrics.ts';
import type { ActionStore } from './records.ts';
import { describeZodIssues } from '../../core/issues.ts';
import { webhookBodySchema } from '../webhook-body.ts';

export interface AppDeps {
  logger: Logger;
  controller: RemediationController;
  store: ActionStore;
  metrics: RemediationMetrics;
  /** The session's token and the host names it answers to: every route but health and metrics needs them. */
  guard: GuardPolicy;
}

/** `run`: the scenario run whose alerts count (null: every alert); left as it is when absent. */
const modeSchema = z.strictObject({ dryRun: z.boolean(), run: z.string().min(1).max(200).nullable().optional() });

/** The HTTP API: the Alertmanager webhook, the action records, the mode, health and metrics. */
export function buildApp({ logger, controller, store, metrics, guard }: AppDeps): FastifyInstance {
  // Request logging off: the scenario engine polls /actions several times a second.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: guard.bodyLimit ?? CONTROL_BODY_LIMIT,
  });
  // Alertmanager's webhook (/alerts) carries the token too (http_config in the rendered
  // alertmanager.yml): a forged alert must not restart anything.
  app.addHook('onRequest', guardHook(guard, isHealthOrMetrics));

  app.setErrorHandler((err: { statusCode?: number; message: string }, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      logger.error({ err, url: request.url }, 'request failed');
      return reply.code(status).send({ error: 'internal error' });
    }
    if (request.url.startsWith('/alerts')) metrics.webhooks.inc({ status: 'invalid' });
    return reply.code(status).send({ error: err.message });
  });

  app.post('/alerts', async (request, reply) => {
    const parsed = webhookBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const issues = describeZodIssues(parsed.error);
      metrics.webhooks.inc({ status: 'invalid' });
      logger.warn({ issues }, 'webhook rejected');
      return reply.code(400).send({ error: issues.join('; '), issues });
    }
    metrics.webhooks.inc({ status: parsed.data.status });
    // Actions run in the background: Alertmanager would time out waiting for a restart.
    const { alerts, matched } = controller.handle(parsed.data);
    logger.info({ status: parsed.data.status, alerts, matched, groupKey: parsed.data.groupKey }, 'webhook received');
    return reply.code(200).send({ status: 'ok', alerts, matched, dryRun: controller.dryRun });
  });

  app.get('/actions', async () => store.list());

  app.delete('/actions', async (_request, reply) => {
    const n = controller.reset();
    logger.info({ cleared: n }, 'action records, cooldowns and attempts cleared');
    return reply.code(204).send();
  });

  const mode = () => ({ dryRun: controller.dryRun, ...(controller.currentRun !== null ? { run: controller.currentRun } : {}) });
  app.get('/mode', async () => mode());

  app.put('/mode', async (request, reply) => {
    const parsed = modeSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: describeZodIssues(parsed.error).join('; ') });
    controller.dryRun = parsed.data.dryRun;
    if (parsed.data.run !== undefined) controller.currentRun = parsed.data.run;
    logger.info(mode(), 'mode changed');
    return mode();
  });

  app.get('/health', async () => ({ status: 'ok', dryRun: controller.dryRun }));

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  return app;
}
