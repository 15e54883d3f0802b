import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { checkControlRequest, checkHostAndOrigin, CONTROL_BODY_LIMIT, isHealthOrMetrics, type GuardPolicy } from '../../core/control-guard.ts';
import type { SinkMetrics } from './metrics.ts';
import { fromPagerDuty, fromSlack, fromWebhook } from './normalize.ts';
import { pagerDutyEventSchema, slackBodySchema, validate, webhookBodySchema } from './schemas.ts';
import type { DeliveryStore } from './store.ts';
import type { DeliveryContent, DeliveryKind } from './types.ts';

export interface SinkAppOptions {
  logger: Logger;
  store: DeliveryStore;
  metrics: SinkMetrics;
  /**
   * The session's token and the host names it answers to. Every route but health and metrics
   * needs the token: Alertmanager sends it with each delivery (http_config in the rendered
   * alertmanager.yml), the scenario engine with each read or clear of the record.
   */
  guard: GuardPolicy;
}

const RECEIVER = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Which kind a request path belongs to, for counting rejections fastify itself raises. */
function kindOf(url: string): DeliveryKind | 'other' {
  if (url.startsWith('/webhook/')) return 'webhook';
  if (url.startsWith('/slack/')) return 'slack';
  if (url.startsWith('/pagerduty/')) return 'pagerduty';
  return 'other';
}

/** The HTTP API: one route per notification shape, plus the record and health/metrics. */
export function buildSinkApp({ logger, store, metrics, guard }: SinkAppOptions): FastifyInstance {
  // Request logging off: the scenario engine polls /deliveries several times a second.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: guard.bodyLimit ?? CONTROL_BODY_LIMIT,
  });

  const reject = (reply: FastifyReply, kind: DeliveryKind | 'other', reason: string, status: number, body: unknown, log: Record<string, unknown>) => {
    metrics.rejected.inc({ kind, reason });
    logger.warn({ kind, reason, ...log }, 'notification rejected');
    return reply.code(status).send(body);
  };

  // Before the body is read: a forged or foreign delivery is counted and refused, never recorded.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const refusal = isHealthOrMetrics(request.method, path) ? checkHostAndOrigin(request.headers, guard) : checkControlRequest(request.headers, guard);
    if (!refusal) return undefined;
    const kind = kindOf(request.url);
    const reason = refusal.status === 401 ? 'unauthorized' : refusal.status === 403 ? 'forbidden' : refusal.status === 413 ? 'too_large' : 'unsupported_media_type';
    const body = kind === 'pagerduty' ? { status: 'invalid event', message: refusal.error, errors: [refusal.error] } : { error: refusal.error };
    if (kind === 'other') return reply.code(refusal.status).send(body);
    return reject(reply, kind, reason, refusal.status, body, { error: refusal.error, url: request.url });
  });

  // Bodies fastify cannot parse (not JSON, wrong content type, too large) are rejections too.
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      logger.error({ err, url: request.url }, 'request failed');
      return reply.code(status).send({ error: 'internal error' });
    }
    const kind = kindOf(request.url);
    const reason =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'malformed_body';
    const body = kind === 'pagerduty' ? { status: 'invalid event', message: err.message, errors: [err.message] } : { error: err.message };
    if (kind === 'other') return reply.code(status).send(body);
    return reject(reply, kind, reason, status, body, { error: err.message, url: request.url });
  });

  const record = (receiver: string, kind: DeliveryKind, content: DeliveryContent, raw: unknown) => {
    const d = store.add(receiver, kind, content, raw);
    metrics.received.inc({ receiver, kind, status: d.status });
    logger.info(
      { receiver, kind, status: d.status, id: d.id, alerts: d.alerts.map((a) => `${a.alertname}(${a.status})`) },
      `${kind} notification for ${receiver}`,
    );
    return d;
  };

  type ReceiverRequest = FastifyRequest<{ Params: { receiver: string } }>;

  app.post('/webhook/:receiver', async (request: ReceiverRequest, reply) => {
    const { receiver } = request.params;
    if (!RECEIVER.test(receiver)) return reject(reply, 'webhook', 'bad_receiver', 400, { error: `receiver: must match ${RECEIVER}` }, { receiver });
    const v = validate(webhookBodySchema, request.body);
    if (!v.ok) return reject(reply, 'webhook', 'invalid', 400, { error: v.issues.join('; '), issues: v.issues }, { receiver, issues: v.issues });
    const d = record(receiver, 'webhook', fromWebhook(v.value), request.body);
    return reply.code(200).send({ status: 'ok', id: d.id });
  });

  app.post('/slack/:receiver', async (request: ReceiverRequest, reply) => {
    const { receiver } = request.params;
    if (!RECEIVER.test(receiver)) return reject(reply, 'slack', 'bad_receiver', 400, { error: `receiver: must match ${RECEIVER}` }, { receiver });
    const v = validate(slackBodySchema, request.body);
    if (!v.ok) return reject(reply, 'slack', 'invalid', 400, { error: v.issues.join('; '), issues: v.issues }, { receiver, issues: v.issues });
    record(receiver, 'slack', fromSlack(v.value), request.body);
    // Slack answers a text/plain "ok"; newer Alertmanagers check exactly that.
    return reply.code(200).type('text/plain; charset=utf-8').send('ok');
  });

  app.post('/pagerduty/:receiver/v2/enqueue', async (request: ReceiverRequest, reply) => {
    const { receiver } = request.params;
    const invalid = (errors: string[]) => ({ status: 'invalid event', message: 'Event object is invalid', errors });
    if (!RECEIVER.test(receiver)) return reject(reply, 'pagerduty', 'bad_receiver', 400, invalid([`receiver: must match ${RECEIVER}`]), { receiver });
    const v = validate(pagerDutyEventSchema, request.body);
    if (!v.ok) return reject(reply, 'pagerduty', 'invalid', 400, invalid(v.issues), { receiver, issues: v.issues });
    record(receiver, 'pagerduty', fromPagerDuty(v.value), request.body);
    return reply.code(202).send({ status: 'success', message: 'Event processed', dedup_key: v.value.dedup_key ?? null });
  });

  app.get('/deliveries', async (request: FastifyRequest<{ Querystring: { receiver?: string; raw?: string } }>) => {
    const { receiver, raw } = request.query;
    const list = store.list({ receiver });
    return raw === 'false' || raw === '0' ? list.map(({ raw: _raw, ...rest }) => rest) : list;
  });

  app.delete('/deliveries', async (_request, reply) => {
    const n = store.size;
    store.clear();
    logger.info({ cleared: n }, 'deliveries cleared');
    return reply.code(204).send();
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  return app;
}
