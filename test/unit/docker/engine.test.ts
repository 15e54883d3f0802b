import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSandboxError } from '../../../scripts/core/errors.ts';
import { engineCandidates, probeDockerEngine, requireDockerEngine } from '../../../scripts/runtime/docker/engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'engine-probe-'));
const servers: { close(): unknown }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function listen(server: Server | ReturnType<typeof createNetServer>, path: string): Promise<void> {
  servers.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve()));
}

describe('probeDockerEngine', () => {
  it('says there is no socket, and names it', async () => {
    const sock = join(dir, 'absent.sock');
    const started = Date.now();
    const probe = await probeDockerEngine(1500, { DOCKER_HOST: `unix://${sock}` });
    expect(probe.available).toBe(false);
    expect(probe.reason).toBe(`no socket at ${sock}`);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('says a path is not a socket', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const probe = await probeDockerEngine(1500, { DOCKER_HOST: `unix://${file}` });
    expect(probe).toMatchObject({ available: false, reason: `${file} exists but is not a socket` });
  });

  it('gives up on a daemon that never answers within its timeout', async () => {
    const sock = join(dir, 'silent.sock');
    // Accepts connections and never writes a byte: a hung daemon.
    await listen(createNetServer(() => undefined), sock);
    const started = Date.now();
    const probe = await probeDockerEngine(300, { DOCKER_HOST: `unix://${sock}` });
    const took = Date.now() - started;
    expect(probe.available).toBe(false);
    expect(probe.reason).toBe(`${sock}: no answer within 300 ms`);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1000);
  });

  it('finds an engine that answers /_ping', async () => {
    const sock = join(dir, 'engine.sock');
    await listen(
      createHttpServer((req, res) => {
        res.writeHead(req.url === '/_ping' ? 200 : 404).end('OK');
      }),
      sock,
    );
    chmodSync(sock, 0o660);
    const probe = await probeDockerEngine(1500, { DOCKER_HOST: `unix://${sock}` });
    expect(probe).toEqual({ available: true, reason: `unix://${sock} answered /_ping`, endpoint: `unix://${sock}` });
  });

  it('reports a socket that answers but is not a Docker engine', async () => {
    const sock = join(dir, 'other.sock');
    await listen(createHttpServer((_req, res) => res.writeHead(404).end()), sock);
    const probe = await probeDockerEngine(1500, { DOCKER_HOST: `unix://${sock}` });
    expect(probe).toMatchObject({ available: false, reason: `${sock}: answered /_ping with HTTP 404: not a Docker engine?` });
  });

  it('says nothing listens on a refused TCP endpoint', async () => {
    const probe = await probeDockerEngine(1500, { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(probe).toMatchObject({ available: false, reason: 'tcp://127.0.0.1:1: nothing listens (is the Docker daemon running?)' });
  });

  it('looks where testcontainers looks when DOCKER_HOST is unset', () => {
    const candidates = engineCandidates({ XDG_RUNTIME_DIR: '/run/user/1234' });
    expect(candidates[0]).toBe('unix:///var/run/docker.sock');
    expect(candidates).toContain('unix:///run/user/1234/docker.sock');
    expect(engineCandidates({ DOCKER_HOST: 'tcp://example:2375' })).toEqual(['tcp://example:2375']);
  });

  it('answers within its timeout on this machine, with a reason either way', async () => {
    const started = Date.now();
    const probe = await probeDockerEngine(1500);
    expect(Date.now() - started).toBeLessThan(1500 + 200);
    expect(probe.reason.length).toBeGreaterThan(10);
    if (!probe.available) expect(probe.reason).toMatch(/docker\.sock|tcp:|ssh:|npipe:/);
  });
});

describe('requireDockerEngine', () => {
  it('fails with RUNTIME_UNAVAILABLE, exit code 3 and a hint towards --runtime native', async () => {
    const sock = join(dir, 'none.sock');
    const err = await requireDockerEngine(500, { DOCKER_HOST: `unix://${sock}` }).catch((e: unknown) => e);
    expect(isSandboxError(err)).toBe(true);
    if (!isSandboxError(err)) return;
    expect(err.code).toBe('RUNTIME_UNAVAILABLE');
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`no socket at ${sock}`);
    expect(err.hint).toContain('--runtime native');
  });

  it('returns the probe when an engine answers', async () => {
    const sock = join(dir, 'engine2.sock');
    await listen(createHttpServer((_req, res) => res.writeHead(200).end('OK')), sock);
    await expect(requireDockerEngine(1500, { DOCKER_HOST: `unix://${sock}` })).resolves.toMatchObject({ available: true });
  });
});
