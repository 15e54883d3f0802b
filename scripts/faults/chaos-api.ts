import { SandboxError } from '../core/errors.ts';
import { authHeaders } from '../core/control-guard.ts';
import type { SandboxConnection } from '../runtime/connection.ts';
import type { ActiveFault, FaultInjector, FaultRequest } from './types.ts';

/**
 * In-process faults go through the service's token-guarded chaos API, so the service itself
 * misbehaves and only the signals a real incident produces show it.
 */
export const chaosApiInjector: FaultInjector = {
  types: ['latency', 'errors', 'crash', 'bad-model', 'memory-leak', 'cpu-burn', 'dependency-outage'],
  async inject(sandbox, request) {
    const base = await sandbox.urlOf(request.service);
    const headers = { 'content-type': 'application/json', ...authHeaders(sandbox.chaosToken) };
    let res: Response;
    try {
      res = await fetch(`${base}/chaos/faults`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          type: request.type,
          params: request.params,
          ...(request.durationSeconds !== null ? { durationMs: Math.round(request.durationSeconds * 1000) } : {}),
        }),
        signal: AbortSignal.timeout(5000),
      });
    } catch (e) {
      throw injectionFailed(request, `${base} did not answer: ${(e as Error).message}`);
    }
    const body = await res.text();
    if (res.status !== 201 && res.status !== 202) throw injectionFailed(request, `HTTP ${res.status}: ${body}`);
    const id = (safeJson(body) as { id?: string } | null)?.id ?? `${request.type}-${Date.now()}`;
    return {
      id,
      request,
      async clear() {
        // A crashed or restarted process has no fault to clear: that is success, not an error.
        await fetch(`${base}/chaos/faults/${encodeURIComponent(id)}`, { method: 'DELETE', headers, signal: AbortSignal.timeout(3000) })
          .then((r) => r.body?.cancel())
          .catch(() => undefined);
      },
    } satisfies ActiveFault;
  },
};

export function injectionFailed(request: FaultRequest, why: string): SandboxError {
  return new SandboxError('INJECTION_FAILED', `could not inject ${request.type} into ${request.service}: ${why}`, {
    hint: `check that ${request.service} is running (\`npx sandbox status\`) and its log (\`npx sandbox logs ${request.service}\`)`,
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
