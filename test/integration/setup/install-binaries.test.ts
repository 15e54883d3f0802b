import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';

/**
 * The setup step (`npm test`/`npm run sandbox` pre-script) on a machine without the native
 * binaries and without a way to install them: PATH holds nothing, so neither Prometheus,
 * Alertmanager nor apt-get is found. It must stop with what to install, unless a Docker engine
 * answers and can run the stack instead.
 */
const script = join(PROJECT_ROOT, 'scripts/setup/install-binaries.ts');
const dir = mkdtempSync(join(tmpdir(), 'setup-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSetup(dockerHost: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: PROJECT_ROOT,
      env: { PATH: join(dir, 'empty-bin'), HOME: dir, DOCKER_HOST: dockerHost },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('setup without the native binaries', () => {
  it('stops with exit 3, naming what to install and the Docker runtime, when no engine answers either', async () => {
    const r = await runSetup(`unix://${join(dir, 'no-engine.sock')}`);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('the native runtime needs Prometheus, Alertmanager, and the blackbox exporter');
    expect(r.stderr).toContain('--runtime docker');
    expect(r.stderr).toContain('no Docker engine answers either:');
    expect(r.stderr).toContain(join(dir, 'no-engine.sock'));
  }, 30_000);

  it('warns and goes on when a Docker engine answers, since `--runtime auto` will use it', async () => {
    const socket = join(dir, 'engine.sock');
    // A stand-in engine answering what testcontainers' discovery asks (info, the bridge network, version) as
    // Docker Engine on Linux does; no real engine is needed to see setup take the docker way out.
    const answers: Record<string, unknown> = {
      '/version': { Version: '28.2.2', ApiVersion: '1.50', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Engine', Version: '28.2.2' }] },
      '/networks/bridge': { Name: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } },
      '/info': { ServerVersion: '28.2.2', OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', OSType: 'linux', Architecture: 'x86_64', SecurityOptions: [], IndexServerAddress: 'https://index.docker.io/v1/' },
    };
    const engine = http.createServer((req, res) => {
      const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0]!;
      if (path === '/_ping') return res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      const body = answers[path];
      if (body) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `not in the stand-in: ${req.url}` }));
    });
    await new Promise<void>((r) => engine.listen(socket, r));
    try {
      const r = await runSetup(`unix://${socket}`);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('the native runtime needs Prometheus, Alertmanager, and the blackbox exporter');
      expect(r.stderr).not.toContain('no Docker engine answers');
    } finally {
      await new Promise((r) => engine.close(r));
    }
  }, 30_000);
});
