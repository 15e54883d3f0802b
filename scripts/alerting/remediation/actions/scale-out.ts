import type { ActionSpecOf } from '../playbook-schema.ts';
import { call, expectOk } from './http.ts';
import type { ActionContext } from './types.ts';

/**
 * Asks the control API for more replicas. The sandbox answers 501 today: the action is then
 * recorded failed with that reason, never pretended.
 */
export async function scaleOut(spec: ActionSpecOf<'scale-out'>, ctx: ActionContext) {
  const path = `/services/${ctx.service}/scale`;
  const reply = expectOk(
    await call('POST', `${ctx.sandbox.baseUrl}${path}`, { body: { replicas: spec.replicas }, timeoutMs: ctx.timeoutMs, signal: ctx.signal }),
    `POST ${path}`,
  );
  return { detail: `scale to ${spec.replicas} replicas accepted: ${reply.text}` };
}
