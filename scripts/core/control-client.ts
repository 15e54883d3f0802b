import { authHeaders } from './control-guard.ts';
import type { ComponentStatus, RestartPolicy, StackActionReport, StatusDocument, SupervisorEvent } from './control-protocol.ts';

/**
 * A control API call that failed: no answer (`status` null: refused, timed out), or an answer
 * other than 2xx (`status`, and the API's `error` text in the message). Callers turn it into
 * their own words (a SandboxError with a hint, an action's failure).
 */
export class ControlApiError extends Error {
  override readonly name = 'ControlApiError';
  constructor(
    message: string,
    readonly status: number | null,
    /** The API's own reason (its JSON `error` or `detail`, else the body), or why nothing answered. */
    readonly reason: string,
  ) {
    super(message);
  }
}

export interface ControlReply {
  status: number;
  ok: boolean;
  text: string;
  json<T = unknown>(): T;
}

export interface ControlCallOptions {
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/**
 * The one client of a sandbox's control API (runtime/control-api.ts), for every part that
 * drives a sandbox: the remediation controller, the crash-loop fault, the scenario engine's
 * reset, the workshop, the CLI and the tests. Every call sends the session's token, has a
 * timeout, and fails with what was asked and why (ControlApiError).
 */
export class ControlClient {
  constructor(
    readonly baseUrl: string,
    /** The session's token: the control API takes it on every call but the public ones. */
    readonly token: string,
    private readonly timeoutMs = 5000,
  ) {}

  /** One call; any HTTP status is an answer. Throws only when nothing answers (status null). */
  async call(method: string, path: string, options: ControlCallOptions = {}): Promise<ControlReply> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = authHeaders(this.token);
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.baseUrl}${path}`, { method, headers, signal, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = timeout.aborted ? `no answer within ${timeoutMs / 1000}s` : options.signal?.aborted ? 'cancelled' : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new ControlApiError(`${method} ${this.baseUrl}${path}: ${why}`, null, why);
    }
    return {
      status: res.status,
      ok: res.ok,
      text,
      json<T>() {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ControlApiError(`${method} ${path}: HTTP ${res.status} answered with something that is not JSON: ${shorten(text)}`, res.status, shorten(text));
        }
      },
    };
  }

  /** A call that must succeed: a non-2xx answer throws with the API's reason. */
  async expect(method: string, path: string, options: ControlCallOptions = {}): Promise<ControlReply> {
    const reply = await this.call(method, path, options);
    if (!reply.ok) {
      const reason = reasonOf(reply.text);
      throw new ControlApiError(`${method} ${path}: HTTP ${reply.status} ${reason}`, reply.status, reason);
    }
    return reply;
  }

  /** GET /health (public): whether a sandbox answers at all. */
  async answers(timeoutMs = 1000): Promise<boolean> {
    try {
      return (await this.call('GET', '/health', { timeoutMs })).ok;
    } catch {
      return false;
    }
  }

  async status(signal?: AbortSignal): Promise<StatusDocument> {
    const doc = (await this.expect('GET', '/status', { signal })).json<StatusDocument>();
    if (!Array.isArray(doc?.components)) throw new ControlApiError('GET /status: no components list in the answer', 200, 'no components list');
    return doc;
  }

  async component(name: string, signal?: AbortSignal): Promise<ComponentStatus> {
    const c = (await this.status(signal)).components.find((x) => x.name === name);
    if (!c) throw new ControlApiError(`the sandbox has no component named '${name}'`, 200, 'no such component');
    return c;
  }

  /** The component's base URL, as the status lists it. */
  async serviceUrl(name: string, signal?: AbortSignal): Promise<string> {
    const c = await this.component(name, signal);
    if (!c.url) throw new ControlApiError(`the sandbox lists no URL for '${name}' (state ${c.state})`, 200, 'no URL');
    return c.url.replace(/\/+$/, '');
  }

  /** For a verify loop: whether the component is ready, and what was seen. */
  async readyCheck(name: string, signal?: AbortSignal): Promise<{ ok: boolean; observed: string }> {
    const c = await this.component(name, signal);
    return { ok: c.state === 'ready', observed: `${name} is ${c.state}` };
  }

  /** POST /services/:name/restart: answers once the service is ready again. */
  async restart(service: string, options: { timeoutMs?: number; signal?: AbortSignal | undefined } = {}): Promise<void> {
    await this.expect('POST', `/services/${service}/restart`, { timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal });
  }

  async setRestartPolicy(service: string, policy: RestartPolicy, signal?: AbortSignal): Promise<void> {
    await this.expect('PUT', `/services/${service}/restart-policy`, { body: policy, signal });
  }

  /** GET /services/:name/scale (the instances that run now), as JSON for the caller to check. */
  async scaleState(service: string, signal?: AbortSignal): Promise<unknown> {
    return (await this.expect('GET', `/services/${service}/scale`, { signal })).json();
  }

  /** POST /services/:name/scale: instances, targets and routing to match; the report as JSON. */
  async scale(service: string, replicas: number, options: { timeoutMs?: number; signal?: AbortSignal | undefined } = {}): Promise<unknown> {
    return (await this.expect('POST', `/services/${service}/scale`, { body: { replicas }, timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal })).json();
  }

  /** Supervisor events after sequence number `after`. */
  async events(after = 0, timeoutMs?: number): Promise<SupervisorEvent[]> {
    return (await this.expect('GET', `/events${after > 0 ? `?after=${after}` : ''}`, timeoutMs ? { timeoutMs } : {})).json<SupervisorEvent[]>();
  }

  /** Prometheus re-reads its configuration and rule files (SIGHUP through the runtime). */
  reloadStack(component: string): Promise<StackActionReport> {
    return this.stackAction(component, 'reload', 15_000);
  }

  /** Prometheus restarted on an empty TSDB (its history forgotten). */
  resetStack(component: string): Promise<StackActionReport> {
    return this.stackAction(component, 'reset', 60_000);
  }

  /** POST /shutdown: a detached sandbox stops itself. */
  async shutdown(): Promise<void> {
    await this.expect('POST', '/shutdown');
  }

  private async stackAction(component: string, action: 'reload' | 'reset', timeoutMs: number): Promise<StackActionReport> {
    return (await this.expect('POST', `/stack/${component}/${action}`, { timeoutMs })).json<StackActionReport>();
  }
}

/** The `error` (or a stack action's `detail`) of a JSON error body, else the body itself, shortened. */
function reasonOf(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: unknown; detail?: unknown };
    if (typeof v?.error === 'string') return v.error;
    if (typeof v?.detail === 'string') return v.detail;
  } catch {
    /* not JSON */
  }
  return shorten(text.trim()) || '(empty body)';
}

function shorten(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
