import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  ERROR_TYPE_VALUE_OTHER,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';
import { isOperationalPath } from './telemetry.ts';

/**
 * HTTP spans at the services' two seams, instead of @opentelemetry/instrumentation-http: a SERVER
 * span around every public request (wrapping the server's request listener; http-server.ts names
 * it `METHOD /route` and sets http.route once the router knows the route) and a CLIENT span
 * around every call api-gateway makes to ml-service (MlClient). W3C trace context is extracted
 * and injected through the globally registered propagator (telemetry.ts). Names, kinds,
 * attributes and status follow the stable OpenTelemetry HTTP semantic conventions (v1.23+):
 * http.request.method (`_OTHER` + http.request.method_original for unknown methods),
 * url.path/url.query/url.scheme, server.address/server.port, client.address,
 * network.protocol.version, user_agent.original, http.route, http.response.status_code, and
 * error.type with an ERROR status for a server's 5xx and a client's 4xx/5xx or failed call.
 * What is left out: the instrumentation's own metrics (http.server.request.duration: Prometheus
 * scrapes prom-client's histogram) and optional header capture.
 *
 * Why not the library: profiled under POST /predict load (gateway → ml-service, every signal on,
 * the two configurations' processes driven in interleaved slices, CPU split by the profiler's
 * shares), the tracing code cost per request
 *   instrumentation-http under NodeSDK (main before issue 15)   gateway 22 %, ml-service 15 % of CPU
 *   instrumentation-http with the SDK parts of telemetry.ts     gateway 18 %, ml-service 12 %
 *   these seams with the SDK parts                              gateway 10 %, ml-service  7.5 %
 * (issue 15's closing note has the runs). The library patches `http` for every module, binds each
 * request, response and socket emitter to the context (every listener wrapped), normalises and
 * redacts URLs, records some twenty attributes and a duration metric per span; the services make
 * spans at exactly two places and know their own URLs. Without a tracer provider (tracing off)
 * the API's no-op tracer makes these spans free.
 */
// Taken once: getTracer looks the tracer up by name and version on every call (~5 µs a request in
// the gateway, profiled). Before a provider is registered this is the API's proxy, which finds the
// SDK's tracer once one is, and stays a no-op without one (tracing off).
const httpTracer = trace.getTracer('sample-services-http');
const tracer = () => httpTracer;

/** The methods the conventions know; anything else is reported as _OTHER. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);

function methodAttributes(method: string): Attributes {
  return KNOWN_METHODS.has(method) ? { [ATTR_HTTP_REQUEST_METHOD]: method } : { [ATTR_HTTP_REQUEST_METHOD]: HTTP_REQUEST_METHOD_VALUE_OTHER, [ATTR_HTTP_REQUEST_METHOD_ORIGINAL]: method };
}

/** `host[:port]` of a Host header (IPv6 in brackets), for server.address. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    return close > 1 ? host.slice(1, close) : host.split(':')[0];
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** Wraps a request listener: each request that is not operational runs inside its SERVER span. */
export function traceServerRequests(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    if (isOperationalPath(target)) return listener(req, res);
    const method = req.method ?? 'GET';
    const q = target.indexOf('?');
    const address = hostName(req.headers.host);
    const userAgent = req.headers['user-agent'];
    const parent = propagation.extract(context.active(), req.headers);
    // Built in place rather than from spreads: this runs for every request (fewer short-lived objects).
    const attributes: Attributes = methodAttributes(method);
    attributes[ATTR_URL_PATH] = q < 0 ? target : target.slice(0, q);
    if (q >= 0) attributes[ATTR_URL_QUERY] = target.slice(q + 1);
    attributes[ATTR_URL_SCHEME] = 'http';
    if (address) attributes[ATTR_SERVER_ADDRESS] = address;
    attributes[ATTR_SERVER_PORT] = req.socket.localPort ?? 0;
    if (req.socket.remoteAddress) attributes[ATTR_CLIENT_ADDRESS] = req.socket.remoteAddress;
    attributes[ATTR_NETWORK_PROTOCOL_VERSION] = req.httpVersion;
    if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
    // Until the router knows the route: the conventions' name without one is the method alone.
    const span = tracer().startSpan(KNOWN_METHODS.has(method) ? method : 'HTTP', { kind: SpanKind.SERVER, attributes }, parent);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (!res.writableFinished) {
        // The connection closed before the response was sent (client gone, socket error).
        span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_OTHER);
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was sent' });
      } else {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        // A server's span is an error for a 5xx only (a 4xx is the client's).
        if (res.statusCode >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end();
    };
    // 'close' comes last in every case: after 'finish' for a response that was sent, alone for a
    // connection that went first (writableFinished tells which). One listener rather than two.
    res.once('close', end);
    context.with(trace.setSpan(parent, span), () => listener(req, res));
  };
}

export interface ClientCallOutcome {
  /** The response arrived with this status. */
  response(status: number): void;
  /** The call failed before a response (refused, reset, timed out). */
  failed(error: Error): void;
}

const untraced: ClientCallOutcome = { response() {}, failed() {} };

/**
 * A CLIENT span for an outgoing call, with the trace context injected into `headers`. `send`
 * makes the call (inside the span's context) and reports its outcome through the given hooks.
 * Calls to operational paths (the readiness probe's /health) make no span, as incoming ones.
 */
export function traceClientCall<T>(call: { method: string; url: URL; headers: OutgoingHttpHeaders }, send: (outcome: ClientCallOutcome) => T): T {
  if (isOperationalPath(call.url.pathname)) return send(untraced);
  const port = Number(call.url.port) || (call.url.protocol === 'https:' ? 443 : 80);
  const span: Span = tracer().startSpan(KNOWN_METHODS.has(call.method) ? call.method : 'HTTP', {
    kind: SpanKind.CLIENT,
    attributes: {
      ...methodAttributes(call.method),
      [ATTR_SERVER_ADDRESS]: call.url.hostname,
      [ATTR_SERVER_PORT]: port,
      [ATTR_URL_FULL]: call.url.href,
      [ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
    },
  });
  const ctx = trace.setSpan(context.active(), span);
  propagation.inject(ctx, call.headers);
  return context.with(ctx, () =>
    send({
      response(status) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        // A client's span is an error for any 4xx or 5xx.
        if (status >= 400) {
          span.setAttribute(ATTR_ERROR_TYPE, String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
      failed(error) {
        span.setAttribute(ATTR_ERROR_TYPE, (error as NodeJS.ErrnoException).code ?? error.name);
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end();
      },
    }),
  );
}
