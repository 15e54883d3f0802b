import http from 'node:http';
import { connectionRefused } from '../shared/chaos/faults/dependency-outage.ts';

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
  }
  if (new Set(value.map((u) => new URL(String(u)).origin)).size !== value.length) return 'upstreams: the list names an instance twice';
  return null;
}

/**
 * HTTP client for ml-service over keep-alive connections. It goes through `http.request` (read
 * at call time) so the HTTP instrumentation makes a client span and injects W3C traceparent.
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
    const baseUrl = options.upstream ?? this.next();
    return new Promise<MlResponse>((resolve, reject) => {
      const req = http.request(
        new URL(path, baseUrl),
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(options.correlationId ? { 'x-correlation-id': options.correlationId } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new MlUnreachableError(e.message, false)));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: keep the text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new MlUnreachableError(`ml-service did not answer within ${timeoutMs}ms`, true)), timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e instanceof MlUnreachableError ? e : new MlUnreachableError(this.list.length > 1 ? `${e.message} (${baseUrl})` : e.message, false));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
