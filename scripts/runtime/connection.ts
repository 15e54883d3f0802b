import { authHeaders } from '../core/control-guard.ts';
import { SandboxError } from '../core/errors.ts';
import type { StatusDocument } from './control-api.ts';
import { readSessionState, type SessionInfo, type StateLayout } from './state.ts';
import type { RuntimeName } from './types.ts';

/** Everything a client (the scenario engine, the CLI) needs to drive a running sandbox. */
export interface SandboxConnection {
  runtime: RuntimeName;
  session: string;
  controlUrl: string;
  /** The session's token: every control surface takes it, sent with authHeaders() (core/control-guard.ts). */
  chaosToken: string;
  /** Directory whose scenario-rules/ Prometheus loads (scenario `rules:`). */
  prometheusConfigDir: string;
  /** Directory of the sandbox's rendered alertmanager.yml (its route timers bound time to notify). */
  alertmanagerConfigDir: string;
  /** The sandbox's state dir: with the session, the labels of its containers (session.ts). */
  stateDir?: string;
  status(): Promise<StatusDocument>;
  urlOf(component: string): Promise<string>;
}

export function connectionFrom(info: SessionInfo, layout: StateLayout): SandboxConnection {
  const status = async (): Promise<StatusDocument> => {
    try {
      const res = await fetch(`${info.controlUrl}/status`, { headers: authHeaders(info.chaosToken), signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as StatusDocument;
    } catch (e) {
      throw new SandboxError('NO_SANDBOX_RUNNING', `the sandbox at ${info.controlUrl} does not answer (${(e as Error).message})`, {
        hint: 'start one with `npm run sandbox`, or clean up with `npx sandbox down`',
      });
    }
  };
  return {
    runtime: info.runtime,
    session: info.session,
    controlUrl: info.controlUrl,
    chaosToken: info.chaosToken,
    prometheusConfigDir: layout.configDir('prometheus'),
    alertmanagerConfigDir: layout.configDir('alertmanager'),
    stateDir: layout.root,
    status,
    async urlOf(component) {
      const doc = await status();
      const c = doc.components.find((x) => x.name === component);
      if (!c?.url) {
        throw new SandboxError('UNKNOWN_COMPONENT', `the running sandbox has no ${component}`, {
          hint: `components: ${doc.components.map((x) => x.name).join(', ')}`,
        });
      }
      return c.url;
    },
  };
}

/** Connect to the sandbox recorded in the state dir, or fail with how to start one. */
export function connectToRunning(layout: StateLayout): SandboxConnection {
  const state = readSessionState(layout);
  if (state.kind === 'damaged') {
    throw new SandboxError('NO_SANDBOX_RUNNING', state.reason, { hint: '`npx sandbox status` shows what runs; `npx sandbox down` stops it and cleans up' });
  }
  const info = state.kind === 'ok' ? state.info : null;
  if (!info) {
    throw new SandboxError('NO_SANDBOX_RUNNING', `no sandbox is running from ${layout.root}`, {
      hint: 'start one with `npm run sandbox` (or `npx sandbox up --detach`)',
    });
  }
  return connectionFrom(info, layout);
}
