import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { Supervisor } from '../../../scripts/runtime/supervisor.ts';
import type { ServiceSpec } from '../../../scripts/stack/types.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Two restarts requested at once (remediation for two alerts, say) must each complete: the
 * second waits for the first instead of killing its process before it became ready.
 */
describe('supervisor restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
  let supervisor: Supervisor;
  afterAll(async () => {
    await supervisor?.stopAll();
  });

  it('serialises concurrent restarts of one service; both succeed and both count', async () => {
    const port = await freePort();
    const spec: ServiceSpec = {
      name: 'slow-service',
      description: 'test',
      role: 'sample',
      entry: 'test/fixtures/slow-service.ts',
      port,
      readiness: { path: '/', timeoutMs: 10_000 },
      env: () => ({}),
      startOrder: 1,
    };
    supervisor = new Supervisor({
      projectRoot: PROJECT_ROOT,
      registry: new PidRegistry(join(dir, 'pids')),
      session: 't',
      logDir: join(dir, 'logs'),
      commonEnv: {},
      env: () => ({}),
      port: () => port,
    });
    await supervisor.startAll([spec]);
    // The second request arrives while the first one's new process is still starting.
    const first = supervisor.restart('slow-service');
    await new Promise((r) => setTimeout(r, 150));
    const [a, b] = await Promise.allSettled([first, supervisor.restart('slow-service')]);
    expect(a.status, a.status === 'rejected' ? String(a.reason) : '').toBe('fulfilled');
    expect(b.status, b.status === 'rejected' ? String(b.reason) : '').toBe('fulfilled');
    expect(supervisor.status().find((s) => s.name === 'slow-service')).toMatchObject({ state: 'ready', restarts: 2 });
  });
});
