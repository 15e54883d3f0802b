import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { chaos, createSandbox, postJson, sleep, type Sandbox } from './harness.ts';

/** Faults that end the process: crash-loop (both ways) and a clean SIGTERM exit. */
describe('process faults', () => {
  let sandbox: Sandbox;
  afterEach(() => sandbox.cleanup());

  it('crash-loop via the chaos API: every restart crashes until `times` crashes happened', async () => {
    sandbox = createSandbox();
    let ml = await sandbox.start('ml-service');
    const port = ml.port;
    const res = await chaos(ml.url, 'POST', '', { type: 'crash-loop', params: { times: 3 } });
    expect(res.status).toBe(201);
    const t0 = Date.now();
    expect((await ml.exited).code).toBe(1);
    // Bounds are loose on purpose: CI runs this next to whole sandboxes on 2 cores.
    expect(Date.now() - t0).toBeLessThan(6000);
    // The test plays the supervisor: restart on the same port and state dir.
    for (let crash = 2; crash <= 3; crash++) {
      ml = await sandbox.start('ml-service', {}, { port });
      const listed = await chaos(ml.url, 'GET');
      expect(listed.body).toEqual([expect.objectContaining({ id: res.body.id, type: 'crash-loop' })]);
      expect((await ml.exited).code).toBe(1);
    }
    ml = await sandbox.start('ml-service', {}, { port });
    await sleep(2500);
    expect(ml.child.exitCode).toBeNull();
    expect((await chaos(ml.url, 'GET')).body).toEqual([]);
    expect((await postJson(`${ml.url}/predict`, makePredictRequest(1))).status).toBe(200);
  });

  it('crash-loop is cleared by DELETE while a restarted process is up', async () => {
    sandbox = createSandbox();
    let ml = await sandbox.start('ml-service');
    const port = ml.port;
    await chaos(ml.url, 'POST', '', { type: 'crash-loop', params: {} });
    expect((await ml.exited).code).toBe(1);
    ml = await sandbox.start('ml-service', {}, { port });
    expect((await chaos(ml.url, 'DELETE')).status).toBe(204);
    expect(existsSync(join(sandbox.stateDir, 'chaos', 'ml-service.crash-loop.json'))).toBe(false);
    await sleep(2500);
    expect(ml.child.exitCode).toBeNull();
  });

  it('SANDBOX_CRASH_AFTER_MS: exits with code 1 that long after listening', async () => {
    sandbox = createSandbox();
    const gw = await sandbox.start('api-gateway', { ML_SERVICE_URL: 'http://127.0.0.1:9', SANDBOX_CRASH_AFTER_MS: '700' });
    const t0 = Date.now();
    expect((await gw.exited).code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('exits with code 0 on SIGTERM before the 3 s grace after which the sandbox would SIGKILL it', async () => {
    sandbox = createSandbox();
    const ml = await sandbox.start('ml-service', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    await postJson(`${ml.url}/predict`, makePredictRequest(2));
    const t0 = Date.now();
    ml.child.kill('SIGTERM');
    const exit = await ml.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2500);
  });
});
