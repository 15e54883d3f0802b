import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * What every control surface of a sandbox checks before it acts (the control API, the sample
 * services' chaos and admin routes, the remediation controller, the notification sink): the
 * session's token, a Host naming this machine (no DNS rebinding), no foreign Origin (no web
 * page), a JSON body (a `text/plain` form post needs no CORS preflight) of a sane size.
 * Plain functions over the request's method and headers, so node:http and fastify share them.
 */

/** The one way clients present the session's token (Alertmanager's http_config sends the same). */
export function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The older header of the services' chaos API; still accepted so existing scripts keep working. */
export const LEGACY_TOKEN_HEADER = 'x-chaos-token';

/** Environment variable with extra host names the services answer to (a container's name for the host). */
export const ALLOWED_HOSTS_ENV = 'SANDBOX_ALLOWED_HOSTS';

/** Bodies of control requests are small JSON documents; Alertmanager's webhook is the largest. */
export const CONTROL_BODY_LIMIT = 1024 * 1024;

export interface GuardPolicy {
  /** The session's token; undefined: every guarded request is refused (the surface is disabled). */
  token: string | undefined;
  /** Host names besides loopback that name this machine for the caller (docker: the host's alias). */
  extraHosts?: readonly string[];
  /** Largest body accepted, in bytes. */
  bodyLimit?: number;
}

export interface Refusal {
  status: 401 | 403 | 413 | 415;
  error: string;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]', '::1'];

/** Host names (lower case, no port) from a comma-separated list, e.g. SANDBOX_ALLOWED_HOSTS. */
export function parseHostList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
}

/**
 * Constant-time comparison on any input: both sides are hashed first, so neither their length
 * nor their bytes (a header may carry any latin-1 byte, e.g. 0xE9) can throw or leak timing.
 */
export function tokenMatches(expected: string | undefined, given: unknown): boolean {
  if (expected === undefined || expected === '' || typeof given !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token a request presents: `Authorization: Bearer <token>`, or the legacy x-chaos-token. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const legacy = headers[LEGACY_TOKEN_HEADER];
  return typeof legacy === 'string' ? legacy : undefined;
}

/** The host name of a Host header or an Origin's authority, lower case, without the port. */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const colon = a.lastIndexOf(':');
  return colon >= 0 && a.indexOf(':') === colon ? a.slice(0, colon) : a;
}

function allowedHost(name: string, policy: GuardPolicy): boolean {
  return LOOPBACK_HOSTS.includes(name) || (policy.extraHosts ?? []).map((h) => h.toLowerCase()).includes(name);
}

/** Quote a header value for a message: printable, and short. */
function quoted(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return JSON.stringify(printable.length > 80 ? `${printable.slice(0, 80)}…` : printable);
}

/**
 * Host and Origin: a request must name this machine, and a browser page may not drive it.
 * Also applied to the public read-only routes (runbooks), which need no token.
 */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, policy: GuardPolicy): Refusal | null {
  const host = headers.host;
  if (typeof host !== 'string' || host === '') return { status: 403, error: 'a Host header is required' };
  const name = hostName(host);
  if (!allowedHost(name, policy)) {
    return { status: 403, error: `Host ${quoted(host)} is not this sandbox (loopback only${policy.extraHosts?.length ? `, or ${policy.extraHosts.join(', ')}` : ''})` };
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    // Only a page served by this very server could be same-origin; the sandbox serves none with
    // scripts, so in practice any Origin is a web page trying to drive it.
    let same = false;
    try {
      const u = new URL(origin);
      same = u.protocol === 'http:' && u.host === host.trim().toLowerCase() && allowedHost(hostName(u.host), policy);
    } catch {
      same = false;
    }
    if (!same) return { status: 403, error: `Origin ${quoted(String(origin))} may not use this API (requests from web pages are refused)` };
  }
  return null;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  if (length !== undefined && length !== '0') return true;
  return headers['transfer-encoding'] !== undefined;
}

/** `application/json`, with or without parameters (charset). */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/json\s*(;|$)/i.test(value.trim());
}

/**
 * Everything a guarded (non-public) request must pass, in the order that tells an attacker the
 * least: where it comes from, then the token, then the body's type and size.
 */
export function checkControlRequest(headers: IncomingHttpHeaders, policy: GuardPolicy): Refusal | null {
  const place = checkHostAndOrigin(headers, policy);
  if (place) return place;
  if (policy.token === undefined || policy.token === '') return { status: 401, error: 'disabled: the process was started without the session token (CHAOS_TOKEN)' };
  if (!tokenMatches(policy.token, presentedToken(headers))) {
    return { status: 401, error: "missing or wrong session token: send 'Authorization: Bearer <token>' (the token is in the state dir's session.json)" };
  }
  const type = headers['content-type'];
  if (type !== undefined && !isJsonContentType(type)) {
    return { status: 415, error: `Content-Type ${quoted(type)} is not accepted: send application/json` };
  }
  if (hasBody(headers) && type === undefined) return { status: 415, error: 'a body needs Content-Type: application/json' };
  const limit = policy.bodyLimit ?? CONTROL_BODY_LIMIT;
  const length = Number(headers['content-length'] ?? 0);
  if (Number.isFinite(length) && length > limit) return { status: 413, error: `body of ${length} bytes is over the limit of ${limit} bytes` };
  return null;
}

/** Policy for a sandbox-supervised process, from the environment the supervisor sets. */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env, bodyLimit = CONTROL_BODY_LIMIT): GuardPolicy {
  return { token: env.CHAOS_TOKEN || undefined, extraHosts: parseHostList(env[ALLOWED_HOSTS_ENV]), bodyLimit };
}

/** The minimum of a fastify request and reply the hook needs (types only: core does not load fastify). */
interface HookRequest {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
}
interface HookReply {
  code(status: number): { send(body: unknown): unknown };
}

/**
 * A fastify onRequest hook (runs before the body is read, so a refused request changes nothing
 * and costs nothing): public routes (health, metrics) pass with a Host check only.
 */
export function guardHook(policy: GuardPolicy, isPublic: (method: string, path: string) => boolean = () => false) {
  return async (request: HookRequest, reply: HookReply) => {
    const path = request.url.split('?')[0] ?? '';
    const refusal = isPublic(request.method, path) ? checkHostAndOrigin(request.headers, policy) : checkControlRequest(request.headers, policy);
    if (refusal) return reply.code(refusal.status).send({ error: refusal.error });
    return undefined;
  };
}

/** GET /health and GET /metrics: what readiness probes and Prometheus read without a token. */
export function isHealthOrMetrics(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === '/health' || path === '/metrics' || path === '/ready');
}
