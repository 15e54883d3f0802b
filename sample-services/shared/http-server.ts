import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES } from 'node:http';
import { trace } from '@opentelemetry/api';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.ts';
import type { FaultManager } from './chaos/fault-manager.ts';
import { registerChaosRoutes } from './chaos/routes.ts';
import { traceServerRequests } from './http-tracing.ts';
import { exposition, type ServiceMetrics } from './metrics.ts';
import { isOperationalPath } from './telemetry.ts';

export interface Readiness {
  ok: boolean;
  reason?: string;
}

export interface HttpServerOptions {
  config: ServiceConfig;
  log: Logger;
  metrics: ServiceMetrics;
  faults: FaultManager;
  ready(): Promise<Readiness>;
}

declare module 'fastify' {
  interface FastifyRequest {
    traceId?: string;
  }
}

const CORRELATION_ID = /^[\w.:-]{1,128}$/;

/**
 * The parts every sample service shares: correlation ids in and out, the HTTP histogram with
 * trace exemplars, one access-log line per request, request-path faults, error bodies, and the
 * operational endpoints (/health, /ready, /metrics, /chaos).
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const { config, log, metrics, faults } = options;
  const app = Fastify({
    // Every public request inside its SERVER span (http-tracing.ts), when tracing is on.
    ...(config.signals.traces ? { serverFactory: (handler: Parameters<typeof createServer>[1]) => createServer(traceServerRequests(handler!)) } : {}),
    loggerInstance: log as FastifyBaseLogger,
    // Our own access-log line (onResponse) carries route, status and duration in one line.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlation_id' }),
    // A caller's correlation id is kept when it looks like one; otherwise a new one starts here.
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
  });

  // Callers (the sandbox's fault injector among them) send DELETEs with a JSON content type and no
  // body; that is not an error. Everything else goes through Fastify's own (poisoning-safe) parser.
  const jsonParser = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : jsonParser(request, body as string, done),
  );

  app.addHook('onRequest', async (request, reply) => {
    if (isOperationalPath(request.url)) return undefined;
    reply.header('x-correlation-id', request.id);
    const route = request.routeOptions.url ?? '';
    const span = trace.getActiveSpan();
    if (span) {
      // The SERVER span (http-tracing.ts) is `METHOD /route` once the route is known; a request
      // that matches none (404) keeps the method alone, as the conventions name it.
      if (route) span.updateName(`${request.method} ${route}`).setAttribute(ATTR_HTTP_ROUTE, route);
      request.traceId = span.spanContext().traceId;
    }
    const failWith = await faults.beforeRequest({ method: request.method, route, path: request.url.split('?')[0]! });
    if (failWith !== undefined) {
      return reply.code(failWith).send({ error: STATUS_CODES[failWith] ?? 'error' });
    }
    return undefined;
  });

  app.addHook('onResponse', async (request, reply) => {
    const { metrics: measure, logs } = config.signals;
    if ((!measure && !logs) || isOperationalPath(request.url)) return;
    const labels = {
      http_request_method: request.method,
      http_route: request.routeOptions.url ?? '',
      http_response_status_code: reply.statusCode,
    };
    if (measure) {
      // prom-client types exemplar labels as the metric's own label names; any names are valid.
      const exemplarLabels = (request.traceId ? { trace_id: request.traceId } : {}) as Partial<typeof labels>;
      metrics.httpDuration.observe({ labels, value: reply.elapsedTime / 1000, exemplarLabels });
    }
    if (logs) request.log.info({ ...labels, duration_ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request completed');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: error.message });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route for ${request.method} ${request.url}` }));

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const r = await options.ready();
    return reply.code(r.ok ? 200 : 503).send(r.ok ? { status: 'ready' } : { status: 'not ready', reason: r.reason });
  });
  app.get('/metrics', async (request, reply) => {
    const { contentType, body } = await exposition(metrics.registry, request.headers.accept);
    return reply.type(contentType).send(body);
  });
  registerChaosRoutes(app, faults, config.CHAOS_TOKEN);
  return app;
}
