import { call, expectOk, verify } from './http.ts';
import type { ActionContext } from './types.ts';

/** Restarts a supervised service through the control API (it answers once the service is ready again). */
export async function restartService(ctx: ActionContext): Promise<string> {
  const path = `/services/${ctx.service}/restart`;
  expectOk(await call('POST', `${ctx.sandbox.baseUrl}${path}`, { token: ctx.sandbox.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), `POST ${path}`);
  return verify(`${ctx.service} ready`, ctx.verifyTimeoutMs, () => ctx.sandbox.readyCheck(ctx.service, ctx.signal), ctx.signal);
}

export async function restart(_spec: unknown, ctx: ActionContext) {
  const observed = await restartService(ctx);
  return { detail: `restarted; ${observed}` };
}
