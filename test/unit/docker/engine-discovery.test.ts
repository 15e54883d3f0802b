import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeDockerEngine } from '../../../scripts/runtime/docker/engine.ts';

// A file of its own: testcontainers keeps its configuration and a found client per process.
describe('probeDockerEngine finds what testcontainers finds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-discovery-'));
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('finds an engine on DOCKER_HOST and says which kind and how (a fake Docker Desktop API)', async () => {
    // Not a real engine: only the calls testcontainers' client and the probe make (info, the bridge network, version).
    const sock = join(dir, 'desktop.sock');
    server = createServer((req, res) => {
      const path = (req.url ?? '').replace(/^\/v[\d.]+/, '');
      res.setHeader('content-type', 'application/json');
      if (path.startsWith('/info')) return res.end(JSON.stringify({ OperatingSystem: 'Docker Desktop', ServerVersion: '28.0.1', OSType: 'linux', SecurityOptions: [], IndexServerAddress: 'https://index.docker.io/v1/' }));
      if (path.startsWith('/networks/')) return res.end(JSON.stringify({ Name: 'bridge', IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } }));
      if (path.startsWith('/version')) return res.end(JSON.stringify({ Components: [{ Name: 'Engine' }] }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server!.listen(sock, () => r()));
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${sock}`;
    try {
      const probe = await probeDockerEngine(10_000);
      expect(probe, probe.reason).toMatchObject({ available: true, kind: 'desktop', endpoint: `unix://${sock}` });
      expect(probe.reason).toBe(`Docker Desktop 28.0.1 (Docker Desktop) at unix://${sock}, found by testcontainers through DOCKER_HOST`);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
