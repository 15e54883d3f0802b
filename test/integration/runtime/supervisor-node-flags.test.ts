import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { prepareSandboxLauncher } from '../../../scripts/runtime/processes/host-entries.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { Supervisor } from '../../../scripts/runtime/supervisor.ts';
import { findService } from '../../../scripts/stack/catalog.ts';
import { PLATFORM_NODE_FLAGS } from '../../../scripts/stack/services.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const procFile = (pid: number, file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0');

/**
 * Idle memory and cold start (issue 15): the platform receivers run with their small-heap V8
 * flags, and every built host process shares Node's compile cache, which a run fills.
 */
describe('how the supervisor starts host processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-flags-'));
  let supervisor: Supervisor | undefined;
  afterAll(async () => {
    await supervisor?.stopAll();
  });

  it('a platform receiver runs with its node flags and the compile cache, and a sample service with neither flag', async () => {
    const launcher = await prepareSandboxLauncher({ ...process.env, SANDBOX_HOST_BUILD: '1' });
    expect(launcher.mode, launcher.reason).toBe('built');
    const cache = launcher.env?.NODE_COMPILE_CACHE;
    expect(cache).toBeTruthy();
    const [sinkPort, gatewayPort] = [await freePort(), await freePort()];
    const sink = { ...findService('notification-sink')!, port: sinkPort };
    const gateway = { ...findService('api-gateway')!, port: gatewayPort };
    expect(sink.nodeFlags).toEqual(PLATFORM_NODE_FLAGS);
    supervisor = new Supervisor({
      projectRoot: PROJECT_ROOT,
      launcher,
      registry: new PidRegistry(join(dir, 'pids')),
      session: 't',
      logDir: join(dir, 'logs'),
      commonEnv: { SANDBOX_STATE_DIR: dir },
      env: () => ({ ML_SERVICE_URL: 'http://127.0.0.1:9' }),
      port: (spec) => (spec.name === 'notification-sink' ? sinkPort : gatewayPort),
    });
    // The launcher's cache, not one from the shell running the tests (which would win).
    const saved = process.env.NODE_COMPILE_CACHE;
    delete process.env.NODE_COMPILE_CACHE;
    try {
      await supervisor.startAll([sink, gateway]);
    } finally {
      if (saved !== undefined) process.env.NODE_COMPILE_CACHE = saved;
    }
    const sinkPid = supervisor.status().find((s) => s.name === 'notification-sink')!.pid!;
    const gatewayPid = supervisor.status().find((s) => s.name === 'api-gateway')!.pid!;
    const sinkArgs = procFile(sinkPid, 'cmdline');
    for (const flag of PLATFORM_NODE_FLAGS) expect(sinkArgs).toContain(flag);
    // Flags go to node, ahead of the entry, or they would be the entry's own arguments.
    expect(sinkArgs.indexOf('--lite-mode')).toBeLessThan(sinkArgs.findIndex((a) => a.endsWith('main.mjs')));
    expect(procFile(gatewayPid, 'cmdline')).not.toContain('--lite-mode');
    for (const pid of [sinkPid, gatewayPid]) expect(procFile(pid, 'environ')).toContain(`NODE_COMPILE_CACHE=${cache}`);
    await supervisor.stopAll();
    supervisor = undefined;
    // Node writes what it compiled when a process exits.
    expect(readdirSync(cache!, { recursive: true }).length).toBeGreaterThan(0);
  });
});
