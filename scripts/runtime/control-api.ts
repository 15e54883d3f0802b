import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
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
}

export interface StatusDocument {
  runtime: RuntimeName;
  session: string;
  components: ComponentStatus[];
}

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
        const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
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
      pattern: /^\/shutdown$/,
      handle: async () => {
        setImmediate(deps.shutdown);
        return json(202, { stopping: true });
      },
    },
  ];

  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes.find((r) => r.method === req.method && r.pattern.test(path));
    if (!route) {
      send(res, json(404, { error: `no route ${req.method} ${path}` }));
      return;
    }
    route
      .handle(route.pattern.exec(path)!, req)
      .then((reply) => send(res, reply))
      .catch((e: unknown) => {
        const status = !isSandboxError(e) ? 500 : e.code === 'UNKNOWN_COMPONENT' ? 404 : e.code === 'INVALID_ARGUMENT' ? 400 : 500;
        send(res, json(status, { error: (e as Error).message, ...(isSandboxError(e) ? { code: e.code, hint: e.hint } : {}) }));
      });
  });
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
  res.writeHead(reply.status, { 'content-type': reply.type });
  res.end(reply.body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}
