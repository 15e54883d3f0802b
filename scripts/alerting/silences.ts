import { SandboxError } from '../core/errors.ts';

/** One label matcher as Alertmanager's v2 API takes it. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

const MATCHER = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$/;

/**
 * Parse `name=value`, `name!=value`, `name=~regex`, `name!~regex` (amtool's syntax; the value may
 * be quoted). Every bad matcher is reported at once.
 */
export function parseMatchers(args: readonly string[]): SilenceMatcher[] {
  const bad: string[] = [];
  const matchers = args.flatMap((arg) => {
    const m = MATCHER.exec(arg.trim());
    if (!m) {
      bad.push(arg);
      return [];
    }
    const [, name, op, raw] = m as unknown as [string, string, string, string];
    const value = /^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
    return [{ name, value, isRegex: op.includes('~'), isEqual: !op.startsWith('!') }];
  });
  if (bad.length > 0 || matchers.length === 0) {
    throw new SandboxError('INVALID_ARGUMENT', bad.length > 0 ? `not a label matcher: ${bad.map((b) => `"${b}"`).join(', ')}` : 'a silence needs at least one matcher', {
      hint: 'write matchers like amtool does: alertname=ServiceDown service=~"ml-.*"',
    });
  }
  if (matchers.every((m) => m.isRegex && /^(\.\*|\.\+)?$/.test(m.value))) {
    throw new SandboxError('INVALID_ARGUMENT', 'these matchers would silence every alert', { hint: 'name at least one alert or service' });
  }
  return matchers;
}

export function formatMatchers(matchers: readonly SilenceMatcher[]): string {
  return matchers.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '~' : '='}"${m.value}"`).join(' ');
}

/** Alertmanager's silences over its v2 API. */
export class SilenceClient {
  /** @param headers the sandbox's login (SandboxConnection.alertmanagerHeaders) */
  constructor(
    private readonly alertmanagerUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async create(matchers: SilenceMatcher[], durationSeconds: number, comment: string, createdBy: string, now = new Date()): Promise<string> {
    const body = {
      matchers,
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + durationSeconds * 1000).toISOString(),
      createdBy,
      comment,
    };
    const res = await this.call('POST', '/api/v2/silences', body);
    return ((await res.json()) as { silenceID: string }).silenceID;
  }

  async list(): Promise<Silence[]> {
    const res = await this.call('GET', '/api/v2/silences');
    return (await res.json()) as Silence[];
  }

  async expire(id: string): Promise<void> {
    const res = await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
    await res.body?.cancel();
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.alertmanagerUrl}${path}`, {
      method,
      headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    }).catch((e: Error) => {
      throw new SandboxError('COMPONENT_DIED', `Alertmanager at ${this.alertmanagerUrl} did not answer: ${e.message}`, {
        hint: '`npx sandbox status` shows whether it runs',
      });
    });
    if (!res.ok) {
      throw new SandboxError('REMOTE_ERROR', `Alertmanager refused ${method} ${path}: HTTP ${res.status} ${(await res.text()).trim()}`);
    }
    return res;
  }
}
