import type { SandboxConnection } from '../runtime/connection.ts';
import { authHeaders } from '../core/control-guard.ts';
import { injectionFailed } from './chaos-api.ts';
import type { FaultInjector, FaultRequest } from './types.ts';

/** How long a crash-looping process lives after each start. */
const CRASH_AFTER_MS = 1500;

/**
 * A crash loop is an orchestrator's behaviour as much as the process's: the supervisor switches
 * the service to restart-on-failure with back-off, and every start exits shortly after.
 */
export const crashLoopInjector: FaultInjector = {
  types: ['crash-loop'],
  async inject(sandbox, request) {
    await setPolicy(sandbox, request, { policy: 'on-failure', crashAfterMs: CRASH_AFTER_MS });
    // Kick the first crash now; from then on the policy keeps it looping.
    await post(sandbox, request, `/services/${request.service}/restart`);
    const times = typeof request.params.times === 'number' ? request.params.times : null;
    let cleared = false;
    const clear = async () => {
      if (cleared) return;
      cleared = true;
      await setPolicy(sandbox, request, { policy: 'never' }).catch(() => undefined);
      // Leave it running cleanly: a restart without the crash setting.
      await post(sandbox, request, `/services/${request.service}/restart`).catch(() => undefined);
    };
    if (times !== null) {
      // Back-off grows 0.5s, 1s, 2s...: stop looping after roughly `times` restarts.
      const approxMs = Array.from({ length: times }, (_, i) => CRASH_AFTER_MS + Math.min(5000, 500 * 2 ** i)).reduce((a, b) => a + b, 0);
      setTimeout(() => void clear(), approxMs).unref();
    }
    return { id: `crash-loop-${request.service}`, request, clear };
  },
};

async function setPolicy(sandbox: SandboxConnection, request: FaultRequest, body: unknown): Promise<void> {
  const res = await fetch(`${sandbox.controlUrl}/services/${request.service}/restart-policy`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...authHeaders(sandbox.chaosToken) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  }).catch((e: Error) => {
    throw injectionFailed(request, `the sandbox control API did not answer: ${e.message}`);
  });
  if (!res.ok) throw injectionFailed(request, `control API: HTTP ${res.status} ${await res.text()}`);
}

async function post(sandbox: SandboxConnection, request: FaultRequest, path: string): Promise<void> {
  const res = await fetch(`${sandbox.controlUrl}${path}`, { method: 'POST', headers: authHeaders(sandbox.chaosToken), signal: AbortSignal.timeout(30_000) });
  await res.body?.cancel();
}
