import { ActionFailure, call, expectOk } from './http.ts';

export interface Component {
  name: string;
  state: string;
  url?: string;
}

/** The sandbox control API, as the controller uses it: status, and service URLs from it. */
export class SandboxClient {
  constructor(
    readonly baseUrl: string,
    /** The session's token: the control API takes it on every call. */
    readonly token: string | undefined,
    private readonly timeoutMs = 5000,
  ) {}

  async components(signal?: AbortSignal): Promise<Component[]> {
    const reply = expectOk(await call('GET', `${this.baseUrl}/status`, { token: this.token, timeoutMs: this.timeoutMs, signal }), 'GET /status');
    const doc = reply.json() as { components?: unknown };
    if (!Array.isArray(doc?.components)) throw new ActionFailure(`GET ${this.baseUrl}/status: no components list in the answer`);
    return doc.components as Component[];
  }

  async component(name: string, signal?: AbortSignal): Promise<Component> {
    const c = (await this.components(signal)).find((x) => x.name === name);
    if (!c) throw new ActionFailure(`the sandbox has no component named '${name}'`);
    return c;
  }

  /** The service's base URL, as the control API's status lists it. */
  async serviceUrl(name: string, signal?: AbortSignal): Promise<string> {
    const c = await this.component(name, signal);
    if (!c.url) throw new ActionFailure(`the sandbox lists no URL for '${name}' (state ${c.state})`);
    return c.url.replace(/\/+$/, '');
  }

  /** A check for `verify`: the component's state is ready. */
  async readyCheck(name: string, signal?: AbortSignal): Promise<{ ok: boolean; observed: string }> {
    const c = await this.component(name, signal);
    return { ok: c.state === 'ready', observed: `${name} is ${c.state}` };
  }
}
