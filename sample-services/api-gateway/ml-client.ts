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

/**
 * HTTP client for ml-service over keep-alive connections. It goes through `http.request` (read
 * at call time) so the HTTP instrumentation makes a client span and injects W3C traceparent.
 */
export class MlClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    /** True while a dependency-outage fault blocks ml-service. */
    private readonly isBlocked: () => boolean,
  ) {}

  async call(method: 'GET' | 'POST', path: string, options: { body?: unknown; correlationId?: string; timeoutMs?: number } = {}): Promise<MlResponse> {
    if (this.isBlocked()) throw new MlUnreachableError(connectionRefused(ML_DEPENDENCY).message, false);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<MlResponse>((resolve, reject) => {
      const req = http.request(
        new URL(path, this.baseUrl),
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
        reject(e instanceof MlUnreachableError ? e : new MlUnreachableError(e.message, false));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
