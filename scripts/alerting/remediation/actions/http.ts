import { authHeaders } from '../../../core/control-guard.ts';

/** Small HTTP helpers the actions share: every call has a timeout, every failure a reason. */
export class ActionFailure extends Error {
  override readonly name = 'ActionFailure';
}

export interface HttpReply {
  status: number;
  text: string;
  json(): unknown;
}

export interface CallOptions {
  body?: unknown;
  token?: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export async function call(method: string, url: string, options: CallOptions): Promise<HttpReply> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) Object.assign(headers, authHeaders(options.token));
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method, headers, signal, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    text = await res.text();
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = timeout.aborted ? `no answer within ${options.timeoutMs / 1000}s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new ActionFailure(`${method} ${url}: ${why}`);
  }
  return {
    status: res.status,
    text,
    json() {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ActionFailure(`${method} ${url}: HTTP ${res.status} answered with something that is not JSON: ${truncate(text)}`);
      }
    },
  };
}

/** Throws with the answer's body as the reason unless the status is 2xx. */
export function expectOk(reply: HttpReply, what: string): HttpReply {
  if (reply.status < 200 || reply.status > 299) throw new ActionFailure(`${what}: HTTP ${reply.status} ${errorText(reply.text)}`);
  return reply;
}

/** The `error` field of a JSON error body, else the body itself (shortened). */
export function errorText(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: unknown };
    if (typeof v?.error === 'string') return v.error;
  } catch {
    /* not JSON */
  }
  return truncate(text) || '(empty body)';
}

export function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Polls `check` until it reports ok, or fails after `timeoutMs` with what it last observed.
 * A check that throws counts as not yet (the service may still be coming up).
 */
export async function verify(what: string, timeoutMs: number, check: () => Promise<{ ok: boolean; observed: string }>, signal?: AbortSignal, intervalMs = 250): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let observed = 'nothing yet';
  for (;;) {
    try {
      const r = await check();
      observed = r.observed;
      if (r.ok) return observed;
    } catch (e) {
      observed = (e as Error).message;
    }
    if (signal?.aborted) throw new ActionFailure(`${what}: cancelled (controller shutting down)`);
    if (Date.now() >= deadline) throw new ActionFailure(`${what}: not verified within ${timeoutMs / 1000}s (last seen: ${observed})`);
    await new Promise((ok) => setTimeout(ok, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}
