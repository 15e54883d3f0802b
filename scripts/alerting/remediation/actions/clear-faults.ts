import type { ActionSpecOf } from '../playbook-schema.ts';
import { ActionFailure, call, expectOk, verify } from './http.ts';
import { restartService } from './restart.ts';
import type { ActionContext } from './types.ts';

/**
 * Clears the faults injected into a service (chaos API), and for a crash loop stops the
 * supervisor's restart loop and starts the service once, cleanly. Verified: no faults, ready.
 */
export async function clearFaults(spec: ActionSpecOf<'clear-faults'>, ctx: ActionContext) {
  const base = await ctx.sandbox.serviceUrl(ctx.service, ctx.signal);
  const notes: string[] = [];
  try {
    expectOk(await call('DELETE', `${base}/chaos/faults`, { token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), 'DELETE /chaos/faults');
    notes.push('faults cleared');
  } catch (e) {
    // A crash-looping process is often between starts; its in-process faults die with it.
    if (!spec.stopRestartLoop) throw e;
    notes.push(`faults not cleared in place (${(e as Error).message})`);
  }
  if (spec.stopRestartLoop) {
    const path = `/services/${ctx.service}/restart-policy`;
    expectOk(await call('PUT', `${ctx.sandbox.baseUrl}${path}`, { body: { policy: 'never' }, token: ctx.sandbox.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), `PUT ${path}`);
    await restartService(ctx);
    notes.push('restart policy never, restarted');
  }
  await verify(`${ctx.service} ready without faults`, ctx.verifyTimeoutMs, async () => {
    const ready = await ctx.sandbox.readyCheck(ctx.service, ctx.signal);
    if (!ready.ok) return ready;
    const r = expectOk(await call('GET', `${base}/chaos/faults`, { token: ctx.token, timeoutMs: ctx.timeoutMs, signal: ctx.signal }), 'GET /chaos/faults');
    const faults = r.json();
    if (!Array.isArray(faults)) throw new ActionFailure(`GET /chaos/faults: expected a list, got ${r.text}`);
    return { ok: faults.length === 0, observed: `${ready.observed}, ${faults.length} active fault(s)` };
  }, ctx.signal);
  return { detail: notes.join('; ') };
}
