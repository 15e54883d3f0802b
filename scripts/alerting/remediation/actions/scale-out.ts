import type { ActionSpecOf } from '../playbook-schema.ts';
import { ActionFailure, call, expectOk, verify } from './http.ts';
import type { ActionContext } from './types.ts';

/** One instance of a service as the control API lists it. */
interface Instance {
  name: string;
  state: string;
  url?: string;
  pid?: number;
}

/** GET and POST /services/:name/scale (POST adds what changed and the routing updates). */
interface ScaleReply {
  service: string;
  replicas: number;
  max: number;
  instances: Instance[];
  started?: string[];
  stopped?: string[];
  restarted?: string[];
  routing?: { via: string; upstreams: string[] | null; error?: string }[];
}

/**
 * Runs at least `replicas` instances of a service (the primary counts as one) through the
 * control API, which starts the replicas, adds them to Prometheus' targets and tells the
 * services that route to it (api-gateway for ml-service) the new upstream list. A scale-out
 * never removes instances: with more running than asked, it keeps them (and still verifies).
 * Asking for the count that runs is a no-op success.
 *
 * Verified, not trusted: every instance the sandbox lists is ready and answers /health, and
 * every router's GET /admin/upstreams names exactly those instances.
 */
export async function scaleOut(spec: ActionSpecOf<'scale-out'>, ctx: ActionContext) {
  const path = `/services/${ctx.service}/scale`;
  const url = `${ctx.sandbox.baseUrl}${path}`;
  const before = scaleReply(expectOk(await call('GET', url, { token: ctx.sandbox.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), `GET ${path}`).json(), `GET ${path}`);
  const target = Math.max(before.replicas, spec.replicas);
  const reply = scaleReply(
    expectOk(await call('POST', url, { body: { replicas: target }, token: ctx.sandbox.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), `POST ${path}`).json(),
    `POST ${path}`,
  );
  const names = reply.instances.map((i) => i.name);
  const routers = (reply.routing ?? []).map((r) => r.via);
  // The control API's own answer: no poll can change it.
  if (names.length !== target) throw new ActionFailure(`POST ${path} listed ${names.length} instance(s), expected ${target}`);
  const observed = await verify(`${ctx.service} at ${target} healthy instance(s), routed`, ctx.verifyTimeoutMs, async () => {
    const components = await ctx.sandbox.components(ctx.signal);
    const urls: string[] = [];
    const seen: string[] = [];
    for (const name of names) {
      const c = components.find((x) => x.name === name);
      if (!c?.url || c.state !== 'ready') return { ok: false, observed: `${name} is ${c?.state ?? 'not listed'}` };
      const health = await call('GET', `${trim(c.url)}/health`, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
      if (health.status !== 200) return { ok: false, observed: `${name} /health answered HTTP ${health.status}` };
      urls.push(trim(c.url));
      seen.push(`${name} (${trim(c.url)})`);
    }
    const routed: string[] = [];
    for (const via of routers) {
      const base = await ctx.sandbox.serviceUrl(via, ctx.signal);
      const r = expectOk(await call('GET', `${base}/admin/upstreams`, { token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), `GET ${via} /admin/upstreams`);
      const list = ((r.json() as { upstreams?: unknown }).upstreams ?? []) as unknown[];
      const upstreams = list.map((u) => trim(String(u)));
      const missing = urls.filter((u) => !upstreams.includes(u));
      const extra = upstreams.filter((u) => !urls.includes(u));
      if (missing.length > 0 || extra.length > 0) {
        return { ok: false, observed: `${via} routes to ${upstreams.join(', ') || 'nothing'}${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; also ${extra.join(', ')}` : ''}` };
      }
      routed.push(`${via} routes to all ${upstreams.length}`);
    }
    return { ok: true, observed: [`${seen.join(', ')} answer /health`, ...routed].join('; ') };
  }, ctx.signal);

  const changes = [
    ...(reply.started?.length ? [`started ${reply.started.join(', ')}`] : []),
    ...(reply.restarted?.length ? [`restarted ${reply.restarted.join(', ')}`] : []),
  ];
  const what =
    changes.length > 0
      ? `${ctx.service} scaled ${before.replicas} → ${reply.replicas} instances (${changes.join('; ')})`
      : before.replicas > spec.replicas
        ? `${ctx.service} already runs ${before.replicas} instances, more than ${spec.replicas}; scale-out removes none (no change)`
        : `${ctx.service} already runs ${reply.replicas} instance(s) (no change)`;
  return { detail: `${what}; verified: ${observed}` };
}

function scaleReply(value: unknown, what: string): ScaleReply {
  const v = value as Partial<ScaleReply> | null;
  if (!v || typeof v.replicas !== 'number' || !Array.isArray(v.instances)) {
    throw new ActionFailure(`${what}: expected { replicas, instances }, got ${JSON.stringify(value)?.slice(0, 300)}`);
  }
  return v as ScaleReply;
}

function trim(url: string): string {
  return url.replace(/\/+$/, '');
}
