import { ControlClient } from '../core/control-client.ts';
import type { StatusDocument } from '../core/control-protocol.ts';
import { SandboxError } from '../core/errors.ts';
import { basicAuthorization } from '../stack/stack-auth.ts';
import { readSessionState, type SessionInfo, type StateLayout } from './state.ts';
import type { RuntimeName } from './types.ts';

/** Everything a client (the scenario engine, the CLI) needs to drive a running sandbox. */
export interface SandboxConnection {
  runtime: RuntimeName;
  session: string;
  controlUrl: string;
  /** The session's token: every control surface takes it, sent with authHeaders() (core/control-guard.ts). */
  chaosToken: string;
  /** The control API, with the session's token. */
  control: ControlClient;
  /** Headers for the sandbox's Alertmanager (its login; none for an attached, the team's). */
  alertmanagerHeaders: Record<string, string>;
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
  const control = new ControlClient(info.controlUrl, info.chaosToken);
  const status = async (): Promise<StatusDocument> => {
    try {
      return await control.status(AbortSignal.timeout(3000));
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
    control,
    alertmanagerHeaders: info.runtime === 'attached' ? {} : { authorization: basicAuthorization(info.chaosToken) },
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
