import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { checkControlRequest, checkHostAndOrigin, type GuardPolicy } from '../core/control-guard.ts';
import { isSandboxError } from '../core/errors.ts';
import type { ScaleReport } from './scaling.ts';
import type { RestartPolicy, Supervisor } from './supervisor.ts';
import type { ComponentStatus, RuntimeName } from './types.ts';

export interface ControlApiDeps {
  runtime: RuntimeName;
  session: string;
  supervisor: Supervisor;
  stackStatus(): ComponentStatus[];
  projectRoot: string;
  /** POST /services/:name/scale: run that many instances, with targets and routing to match (scaling.ts). */
  scale(name: string, replicas: number): Promise<ScaleReport>;
  /** Called by POST /shutdown (`sandbox down` of a detached sandbox). */
  shutdown(): void;
  /** Reload a stack component's configuration (Prometheus: SIGHUP; no lifecycle API). */
  reloadStack?(component: string): Promise<StackActionReport>;
  /** Restart a stack component on an empty data directory (Prometheus: forget every series; no admin API). */
  resetStack?(component: string): Promise<StackActionReport>;
  /** The session's token, and the host names besides loopback the API answers to. */
  guard: GuardPolicy;
}

export type { StackActionReport, StatusDocument } from '../core/control-protocol.ts';
import type { StackActionReport, StatusDocument } from '../core/control-protocol.ts';

/** Control requests are small JSON documents. */
export const CONTROL_API_BODY_LIMIT = 64 * 1024;

/**
 * The session host's loopback HTTP API: how the CLI in another process, the remediation
 * controller and the scenario engine see and drive a running sandbox.
 */
export function createControlApi(deps: ControlApiDeps): Server {
  const routes: { method: string; pattern: RegExp; handle(m: RegExpExecArray, req: IncomingMessage): Promise<Reply> }[] = [
    { method: 'GET', pattern: /^\/health$/, handle: async () => json(200, { ok: true }) },
    { method: 'GET', pattern: /^\/status$/, handle: async () => json(200, statusDocument(deps)) },
    {
      method: 'POST',
      pattern: /^\/services\/([\w-]+)\/restart$/,
      handle: async (m) => {
        const s = await deps.supervisor.restart(m[1]!);
        return json(200, { name: s.name, pid: s.pid, restarts: s.restarts, state: s.state });
      },
    },
    {
      method: 'POST',
      pattern: /^\/services\/([\w-]+)\/stop$/,
      handle: async (m) => {
        await deps.supervisor.stop(m[1]!);
        return json(200, { name: m[1], state: 'stopped' });
      },
    },
    {
      method: 'PUT',
      pattern: /^\/services\/([\w-]+)\/restart-policy$/,
      handle: async (m, req) => {
        const body = (await readJson(req)) as Partial<{ policy: string; crashAfterMs: number }>;
        if (body.policy !== 'never' && body.policy !== 'on-failure') {
          return json(400, { error: 'policy must be "never" or "on-failure"' });
        }
        const policy: RestartPolicy =
          body.policy === 'never'
            ? { policy: 'never' }
            : { policy: 'on-failure', ...(typeof body.crashAfterMs === 'number' ? { crashAfterMs: body.crashAfterMs } : {}) };
        await deps.supervisor.setRestartPolicy(m[1]!, policy);
        return json(200, { name: m[1], ...policy });
      },
    },
    {
      method: 'GET',
      pattern: /^\/services\/([\w-]+)\/scale$/,
      handle: async (m) => json(200, deps.supervisor.scaleState(m[1]!)),
    },
    {
      method: 'POST',
      pattern: /^\/services\/([\w-]+)\/scale$/,
      handle: async (m, req) => {
        const name = m[1]!;
        const body = await readJson(req);
        const replicas = typeof body === 'object' && body !== null ? (body as { replicas?: unknown }).replicas : undefined;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
          return json(400, { error: `replicas: expected a whole number of instances, 1 or more (got ${JSON.stringify(replicas) ?? 'nothing'})` });
        }
        const { max, reason } = deps.supervisor.scalability(name);
        // 409: the service exists but cannot have replicas; the body says why.
        if (reason) return json(409, { error: `${name} cannot be scaled: ${reason}` });
        if (replicas > max) {
          return json(400, { error: `${name} can run at most ${max} instances (the port plan reserves ${max - 1} replica ports for it), not ${replicas}` });
        }
        return json(200, await deps.scale(name, replicas));
      },
    },
    {
      method: 'GET',
      pattern: /^\/events$/,
      handle: async (_m, req) => {
        const raw = new URLSearchParams(queryOf(req.url)).get('after') ?? '0';
        const after = Number(raw);
        if (!Number.isFinite(after)) return json(400, { error: `after: expected a sequence number, got ${JSON.stringify(raw)}` });
        return json(200, deps.supervisor.events.filter((e) => e.seq > after));
      },
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      handle: async () => {
        const m = await deps.supervisor.metrics();
        return { status: 200, type: m.contentType, body: m.body };
      },
    },
    {
      method: 'GET',
      pattern: /^\/runbooks\/([\w-]+)$/,
      handle: async (m) => {
        try {
          const text = await readFile(join(deps.projectRoot, 'runbooks', `${m[1]}.md`), 'utf8');
          return { status: 200, type: 'text/markdown; charset=utf-8', body: text };
        } catch {
          return json(404, { error: `no runbook for ${m[1]}` });
        }
      },
    },
    {
      method: 'POST',
      pattern: /^\/stack\/([\w-]+)\/reload$/,
      handle: async (m) => {
        if (!deps.reloadStack) return json(501, { error: 'this runtime cannot reload stack components' });
        const r = await deps.reloadStack(m[1]!);
        return json(r.ok ? 200 : 422, r);
      },
    },
    {
      method: 'POST',
      pattern: /^\/stack\/([\w-]+)\/reset$/,
      handle: async (m) => {
        if (!deps.resetStack) return json(501, { error: 'this runtime cannot reset stack components' });
        const r = await deps.resetStack(m[1]!);
        return json(r.ok ? 200 : 500, r);
      },
    },
    {
      method: 'POST',
      pattern: /^\/shutdown$/,
      handle: async () => {
        setImmediate(deps.shutdown);
        return json(202, { stopping: true });
      },
    },
  ];

  const publicRoute = (method: string, path: string) => method === 'GET' && (path === '/health' || path === '/metrics' || path.startsWith('/runbooks/'));

  // Not an ESM import of node:http: that also loads fetch's undici (node:http's WebSocket export),
  // ~25 ms on the detached host's way to start; its first readiness check loads it, while it waits.
  return process.getBuiltinModule('node:http').createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = pathOf(req.url);
    // Public routes (liveness, Prometheus' scrape, runbooks opened from a browser) are read-only
    // and Host-checked; everything else takes the session's token (scripts/core/control-guard.ts).
    const refusal = publicRoute(method, path)
      ? checkHostAndOrigin(req.headers, deps.guard)
      : checkControlRequest(req.headers, { ...deps.guard, bodyLimit: CONTROL_API_BODY_LIMIT });
    if (refusal) {
      refuse(req, res, json(refusal.status, { error: refusal.error }));
      return;
    }
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) {
      refuse(req, res, json(404, { error: `no route ${method} ${path}` }));
      return;
    }
    route
      .handle(route.pattern.exec(path)!, req)
      .then((reply) => send(res, reply))
      .catch((e: unknown) => {
        if (e instanceof BodyError) return refuse(req, res, json(e.status, { error: e.message }));
        const status = !isSandboxError(e) ? 500 : e.code === 'UNKNOWN_COMPONENT' ? 404 : e.code === 'INVALID_ARGUMENT' ? 400 : 500;
        send(res, json(status, { error: (e as Error).message, ...(isSandboxError(e) ? { code: e.code, hint: e.hint } : {}) }));
      });
  });
}

/** The path of a request target, without parsing it as a URL (an odd target must not throw). */
function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return q >= 0 ? target.slice(0, q) : target;
}

function queryOf(url: string | undefined): string {
  const target = url ?? '';
  const q = target.indexOf('?');
  return q >= 0 ? target.slice(q + 1) : '';
}

export function statusDocument(deps: Pick<ControlApiDeps, 'runtime' | 'session' | 'supervisor' | 'stackStatus'>): StatusDocument {
  return { runtime: deps.runtime, session: deps.session, components: [...deps.stackStatus(), ...deps.supervisor.status()] };
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

function json(status: number, value: unknown): Reply {
  return { status, type: 'application/json', body: JSON.stringify(value) };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  res.writeHead(reply.status, { 'content-type': reply.type });
  res.end(reply.body);
}

/**
 * Answer without reading the body (a refused 300 MB body is never buffered). A client still
 * sending gets a moment to read the answer while the rest is discarded unbuffered (closing at
 * once would make it see a reset instead of the status), then the connection is cut.
 */
function refuse(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  if (req.complete) return send(res, reply);
  // Not closed right after the answer (as Node would, also when the client asked for
  // `Connection: close`): a client still sending would see a reset (EPIPE) instead of the
  // status. The body's rest is read and dropped, and the connection cut after LINGER_MS or
  // LINGER_BYTES.
  res.shouldKeepAlive = true;
  send(res, reply);
  let discarded = 0;
  const cut = setTimeout(() => req.socket?.destroy(), LINGER_MS);
  cut.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) req.socket?.destroy();
  });
  req.once('end', () => clearTimeout(cut));
  req.resume();
}

/** How long, and how much, a refused request's remaining body is read and dropped. */
const LINGER_MS = 2000;
const LINGER_BYTES = 64 * 1024 * 1024;

class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The JSON body, at most CONTROL_API_BODY_LIMIT bytes (a chunked body is counted as it comes).
 * Read by events, not `for await`: leaving that loop early destroys the socket, and the client
 * would see a reset instead of the 413 (refuse() drops the rest of the body instead).
 */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= CONTROL_API_BODY_LIMIT) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      req.pause();
      reject(new BodyError(413, `body is over the limit of ${CONTROL_API_BODY_LIMIT} bytes`));
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new BodyError(400, `body is not JSON: ${(e as Error).message}`));
      }
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}
