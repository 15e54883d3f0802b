import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { Supervisor } from '../../../scripts/runtime/supervisor.ts';
import { findService } from '../../../scripts/stack/catalog.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The sandbox's services are named by the catalog in every signal: the scrape targets' `service`
 * label, and (through OTEL_SERVICE_NAME) the name in their traces and logs, which scenarios query
 * Loki and Tempo by. An OTEL_SERVICE_NAME in the user's shell must not rename them all.
 */
describe('supervised services and the OpenTelemetry variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'supervisor-env-'));
  let supervisor: Supervisor;
  afterAll(async () => {
    await supervisor?.stopAll();
  });

  it('a service logs under its catalog name whatever OTEL_SERVICE_NAME the sandbox was started with', async () => {
    const port = await freePort();
    const spec = findService('api-gateway')!;
    supervisor = new Supervisor({
      projectRoot: PROJECT_ROOT,
      registry: new PidRegistry(join(dir, 'pids')),
      session: 't',
      logDir: join(dir, 'logs'),
      // As if exported in the shell that ran `npm run sandbox` (the supervisor passes the environment on).
      commonEnv: { OTEL_SERVICE_NAME: 'from-the-shell', OTEL_RESOURCE_ATTRIBUTES: 'service.name=also-from-the-shell', SANDBOX_STATE_DIR: dir },
      env: () => ({ ML_SERVICE_URL: 'http://127.0.0.1:9' }),
      port: () => port,
    });
    await supervisor.startAll([{ ...spec, port }]);
    const lines = readFileSync(join(dir, 'logs', 'api-gateway.log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { service?: string; msg?: string });
    expect(lines.find((l) => l.msg === 'api-gateway listening'), JSON.stringify(lines)).toBeDefined();
    for (const l of lines) expect(l.service).toBe('api-gateway');
  });
});
