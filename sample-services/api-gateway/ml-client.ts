import http from 'node:http';
import { connectionRefused } from '../shared/chaos/faults/dependency-outage.ts';
import { traceClientCall } from '../shared/http-tracing.ts';

export const ML_DEPENDENCY = 'ml-service';

export interface MlResponse {
  status: number;
  body: unknown;
}

/** The call did not get an HTTP answer: refused, reset, or timed out. */
export class MlUnreachableError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    /** The connection was refused: the request never reached an instance. */
    readonly refused = false,
  ) {
    super(message);
  }
}

/** Checks an upstream list: at least one absolute http(s) base URL, no duplicates. Returns the problem or null. */
export function upstreamListProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0) return 'upstreams: expected a non-empty list of base URLs such as ["http://127.0.0.1:8081"]';
  if (value.length > 16) return `upstreams: at most 16, got ${value.length}`;
  for (const [i, u] of value.entries()) {
    let url: URL;
    try {
      url = new URL(String(u));
    } catch {
      return `upstreams[${i}]: not a URL: ${JSON.stringify(u)}`;
    }
    if (typeof u !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) return `upstreams[${i}]: expected an http(s) URL, got ${JSON.stringify(u)}`;
    // ml-service instances are this machine's processes; the gateway's traffic (all scenario load) stays on loopback.
    if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) return `upstreams[${i}]: ${url.hostname} is not a loopback address; ml-service instances run on this machine`;
  }
  if (new Set(value.map((u) => new URL(String(u)).origin)).size !== value.length) return 'upstreams: the list names an instance twice';
  return null;
}

/**
 * HTTP client for ml-service over keep-alive connections. Every call is a CLIENT span that
 * carries the W3C traceparent to ml-service (http-tracing.ts).
 *
 * Calls go round-robin over the upstream list (every ml-service instance, set through
 * PUT /admin/upstreams when the sandbox scales ml-service out). The first entry is the primary,
 * the instance the chaos API's faults target; the health probe asks it alone, so dependency_up
 * and the gateway's readiness mean what they meant before scale-out existed.
 */
export class MlClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private list: string[];
  private nextIndex = 0;

  constructor(
    baseUrls: readonly string[],
    private readonly timeoutMs: number,
    /** True while a dependency-outage fault blocks ml-service. */
    private readonly isBlocked: () => boolean,
  ) {
    if (baseUrls.length === 0) throw new Error('MlClient needs at least one ml-service URL');
    this.list = [...baseUrls];
  }

  /** Every instance calls are spread over, the primary first. */
  get upstreams(): readonly string[] {
    return this.list;
  }

  get primary(): string {
    return this.list[0]!;
  }

  /** Replaces the upstream list (validated by upstreamListProblem); calls in flight finish where they went. */
  setUpstreams(urls: readonly string[]): void {
    if (urls.length === 0) throw new Error('the upstream list cannot be empty');
    this.list = [...urls];
    this.nextIndex = 0;
  }

  /** The next upstream in round-robin order. */
  private next(): string {
    const url = this.list[this.nextIndex % this.list.length]!;
    this.nextIndex = (this.nextIndex + 1) % this.list.length;
    return url;
  }

  /** `upstream`: call this instance instead of the next in turn (the health probe asks the primary). */
  async call(method: 'GET' | 'POST', path: string, options: { body?: unknown; correlationId?: string; timeoutMs?: number; upstream?: string } = {}): Promise<MlResponse> {
    if (this.isBlocked()) throw new MlUnreachableError(connectionRefused(ML_DEPENDENCY).message, false);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    try {
      return await this.send(method, path, options.upstream ?? this.next(), payload, timeoutMs, options.correlationId);
    } catch (e) {
      // A dead scale-out instance refuses connections; the request never reached it, so the next
      // instance takes it instead of failing 1/N of calls. Once: with one instance there is no other.
      if (options.upstream !== undefined || this.list.length < 2 || !(e instanceof MlUnreachableError) || !e.refused) throw e;
      return this.send(method, path, this.next(), payload, timeoutMs, options.correlationId);
    }
  }

  private send(method: 'GET' | 'POST', path: string, baseUrl: string, payload: string | undefined, timeoutMs: number, correlationId: string | undefined): Promise<MlResponse> {
    const url = new URL(path, baseUrl);
    const headers: http.OutgoingHttpHeaders = {
      accept: 'application/json',
      ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
    };
    return traceClientCall(
      { method, url, headers },
      (span) =>
        new Promise<MlResponse>((resolve, reject) => {
          const req = http.request(url, { method, agent: this.agent, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (e) => {
              span.failed(e);
              reject(new MlUnreachableError(e.message, false));
            });
            res.on('end', () => {
              clearTimeout(timer);
              span.response(res.statusCode ?? 0);
              const text = Buffer.concat(chunks).toString('utf8');
              let body: unknown = text;
              try {
                body = JSON.parse(text);
              } catch {
                // not JSON: keep the text for the error message
              }
              resolve({ status: res.statusCode ?? 0, body });
            });
          });
          const timer = setTimeout(() => req.destroy(new MlUnreachableError(`ml-service did not answer within ${timeoutMs}ms`, true)), timeoutMs);
          req.on('error', (e) => {
            clearTimeout(timer);
            span.failed(e);
            const refused = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
            reject(e instanceof MlUnreachableError ? e : new MlUnreachableError(this.list.length > 1 ? `${e.message} (${baseUrl})` : e.message, false, refused));
          });
          req.end(payload);
        }),
    );
  }

  close(): void {
    this.agent.destroy();
  }
}
