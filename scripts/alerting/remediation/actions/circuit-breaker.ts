import type { ActionSpecOf } from '../playbook-schema.ts';
import { call, expectOk, verify } from './http.ts';
import type { ActionContext } from './types.ts';

/** Pins the gateway's circuit breaker open or closed, or hands it back to automatic mode. */
export async function circuitBreaker(spec: Pick<ActionSpecOf<'circuit-breaker'>, 'state'>, ctx: ActionContext) {
  const base = await ctx.sandbox.serviceUrl(ctx.service, ctx.signal);
  const url = `${base}/admin/circuit-breaker`;
  expectOk(await call('POST', url, { body: { state: spec.state }, token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), 'POST /admin/circuit-breaker');
  const observed = await verify(`circuit breaker mode ${spec.state}`, ctx.verifyTimeoutMs, async () => {
    const r = expectOk(await call('GET', url, { token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), 'GET /admin/circuit-breaker');
    const { mode, state } = r.json() as { mode?: unknown; state?: unknown };
    return { ok: mode === spec.state, observed: `mode ${String(mode)}, state ${String(state)}` };
  }, ctx.signal);
  return { detail: `circuit breaker ${observed}` };
}
