import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { isOperationalPath } from './telemetry.ts';

/**
 * HTTP spans at the services' two seams, made by hand instead of by
 * @opentelemetry/instrumentation-http: a SERVER span around every public request (wrapping the
 * server's request listener) and a CLIENT span around every call api-gateway makes to
 * ml-service (MlClient), with W3C trace context extracted and injected through the globally
 * registered propagator, and the stable HTTP semantic-convention attributes that Tempo and
 * Grafana use (method, route, status, server address). Profiled on POST /predict, the
 * auto-instrumentation cost the gateway about 1.1M instructions per request (it patches `http`,
 * binds every request and response emitter to the context, and records some twenty attributes
 * per span); these spans cost about a third of that with their export (see the closing note of
 * issue 15 and `npm run bench`). Without a tracer provider (tracing off) the API's no-op tracer
 * makes them free.
 */
const tracer = () => trace.getTracer('sample-services-http');

/** Wraps a request listener: each request that is not operational runs inside its SERVER span. */
export function traceServerRequests(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    if (isOperationalPath(path)) return listener(req, res);
    const method = req.method ?? 'GET';
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(
      // Renamed to `${method} ${route}` once the router knows the route (http-server.ts).
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': path.split('?')[0]!,
          'url.scheme': 'http',
          'server.port': req.socket.localPort ?? 0,
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', res.statusCode);
      // Server spans are errors for 5xx only (a 4xx is the client's).
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), () => listener(req, res));
  };
}

const untraced = { response() {}, failed() {} };

/**
 * A CLIENT span for an outgoing call, with the trace context injected into `headers`. `send`
 * makes the call (inside the span's context) and reports its outcome through the returned hooks.
 * Calls to operational paths (the readiness probe's /health) make no span, as incoming ones.
 */
export function traceClientCall<T>(
  call: { method: string; url: URL; headers: OutgoingHttpHeaders },
  send: (done: { response(status: number): void; failed(error: Error): void }) => T,
): T {
  if (isOperationalPath(call.url.pathname)) return send(untraced);
  const span: Span = tracer().startSpan(call.method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': call.method,
      'server.address': call.url.hostname,
      'server.port': Number(call.url.port) || 80,
      'url.full': call.url.href,
    },
  });
  const ctx = trace.setSpan(context.active(), span);
  propagation.inject(ctx, call.headers);
  return context.with(ctx, () =>
    send({
      response(status) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
      failed(error) {
        span.setAttribute('error.type', (error as NodeJS.ErrnoException).code ?? error.name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end();
      },
    }),
  );
}
