import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../../scripts/core/control-client.ts';
import type { SandboxConnection } from '../../../scripts/runtime/connection.ts';
import type { StatusDocument } from '../../../scripts/runtime/control-api.ts';
import type { ComponentStatus } from '../../../scripts/runtime/types.ts';
import { whatDied } from '../../../scripts/scenario/runner.ts';
import type { Scenario } from '../../../scripts/scenario/model.ts';

// A connection whose status() is scripted: what the control API answers, or that it is gone.
const conn = (status: () => Promise<StatusDocument>): SandboxConnection => ({
  runtime: 'docker',
  session: 's',
  controlUrl: 'http://127.0.0.1:9400',
  chaosToken: 't',
  control: new ControlClient('http://127.0.0.1:9400', 't'),
  alertmanagerHeaders: {},
  prometheusConfigDir: '/x',
  alertmanagerConfigDir: '/y',
  stateDir: '/state',
  status,
  urlOf: async () => '',
});
const doc = (components: ComponentStatus[]) => ({ components }) as unknown as StatusDocument;
const scenario = { name: 'service-crash' } as Scenario;

describe('whatDied: a scenario error names what died and where its log is', () => {
  it('the host process: the control API is gone', async () => {
    const e = await whatDied(
      conn(async () => {
        throw new Error('fetch failed');
      }),
      scenario,
    );
    expect(e?.code).toBe('SANDBOX_DIED');
    expect(e?.message).toBe('the sandbox host stopped answering during scenario service-crash: its control API http://127.0.0.1:9400 is gone (its log: /state/logs/host.log, or the terminal that ran it)');
    expect(e?.hint).toContain('npx sandbox down');
  });

  it('a container the scenario needs (Prometheus exited), with its log', async () => {
    const e = await whatDied(
      conn(async () => doc([
        { name: 'prometheus', state: 'failed', reason: 'the container exited', hint: 'see /state/logs/prometheus.log' },
        { name: 'alertmanager', state: 'ready' },
        { name: 'ml-service', state: 'failed' },
      ])),
      scenario,
    );
    expect(e?.code).toBe('COMPONENT_DIED');
    expect(e?.message).toBe('scenario service-crash: prometheus died (the container exited)');
    expect(e?.hint).toBe('see /state/logs/prometheus.log');
  });

  it('nothing, when only a sample service is down (that is what faults do)', async () => {
    expect(await whatDied(conn(async () => doc([{ name: 'prometheus', state: 'ready' }, { name: 'ml-service', state: 'failed' }])), scenario)).toBeNull();
  });
});
