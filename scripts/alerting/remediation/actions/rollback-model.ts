import { ActionFailure, call, expectOk, verify } from './http.ts';
import type { ActionContext } from './types.ts';

/** Rolls the model back to the previous version through the service's admin API (409: nothing to roll back to). */
export async function rollbackModel(_spec: unknown, ctx: ActionContext) {
  const base = await ctx.sandbox.serviceUrl(ctx.service, ctx.signal);
  const reply = expectOk(
    await call('POST', `${base}/admin/model/rollback`, { token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }),
    'POST /admin/model/rollback',
  );
  const { current, from } = reply.json() as { current?: unknown; from?: unknown };
  if (typeof current !== 'string') throw new ActionFailure(`POST /admin/model/rollback: no current version in the answer: ${reply.text}`);
  await verify(`model ${current} serving`, ctx.verifyTimeoutMs, async () => {
    const r = expectOk(await call('GET', `${base}/admin/model`, { token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), 'GET /admin/model');
    const version = (r.json() as { model?: { version?: unknown } | null }).model?.version;
    return { ok: version === current, observed: `model ${String(version)}` };
  }, ctx.signal);
  return { detail: `model rolled back ${typeof from === 'string' ? from : '?'} → ${current}` };
}
