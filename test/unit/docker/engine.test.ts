import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSandboxError } from '../../../scripts/core/errors.ts';
import { classifyEngine, engineHints, probeDockerEngine, requireDockerEngine, type EngineFacts } from '../../../scripts/runtime/docker/engine.ts';
import { networkModeFor } from '../../../scripts/runtime/select-runtime.ts';

const facts = (over: Partial<EngineFacts>): EngineFacts => ({
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  serverVersion: '27.3.1',
  securityOptions: ['name=seccomp,profile=builtin'],
  components: ['Engine'],
  endpoint: 'unix:///var/run/docker.sock',
  platform: 'linux',
  ...over,
});

describe('classifyEngine: how containers can reach this machine’s loopback', () => {
  it('Docker Engine on this Linux machine, rootful: host networking', () => {
    expect(classifyEngine(facts({}))).toBe('linux');
    expect(networkModeFor('linux', {})).toBe('host');
  });
  it('Docker Desktop, on any host platform: a bridge with host.docker.internal', () => {
    expect(classifyEngine(facts({ operatingSystem: 'Docker Desktop', platform: 'darwin', endpoint: 'unix:///Users/me/.docker/run/docker.sock' }))).toBe('desktop');
    expect(classifyEngine(facts({ operatingSystem: 'Docker Desktop' }))).toBe('desktop');
    expect(networkModeFor('desktop', {})).toBe('bridge');
  });
  it('an engine in a VM on macOS (Colima, OrbStack) is treated like Desktop', () => {
    expect(classifyEngine(facts({ operatingSystem: 'Ubuntu 24.04 LTS', platform: 'darwin', endpoint: 'unix:///Users/me/.colima/default/docker.sock' }))).toBe('desktop');
  });
  it('rootless Docker, Podman and remote engines cannot reach it: refused with the ways out', () => {
    expect(classifyEngine(facts({ securityOptions: ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns'] }))).toBe('rootless');
    expect(classifyEngine(facts({ components: ['Podman Engine', 'Conmon'] }))).toBe('podman');
    expect(classifyEngine(facts({ endpoint: 'tcp://docker:2375' }))).toBe('remote');
    expect(classifyEngine(facts({ endpoint: 'tcp://127.0.0.1:2375' }))).toBe('linux');
    for (const kind of ['rootless', 'podman', 'remote'] as const) {
      const e = networkModeFor(kind, {});
      expect(isSandboxError(e) && e.code).toBe('RUNTIME_UNAVAILABLE');
      if (isSandboxError(e)) expect(e.hint).toMatch(/--runtime native.*SANDBOX_DOCKER_NETWORK=host/);
    }
  });
  it('SANDBOX_DOCKER_NETWORK forces a mode, and a wrong value is named', () => {
    expect(networkModeFor('rootless', { SANDBOX_DOCKER_NETWORK: 'host' })).toBe('host');
    expect(networkModeFor('linux', { SANDBOX_DOCKER_NETWORK: 'bridge' })).toBe('bridge');
    const e = networkModeFor('linux', { SANDBOX_DOCKER_NETWORK: 'macvlan' });
    expect(isSandboxError(e) && e.message).toContain('"macvlan"');
  });
});

describe('probeDockerEngine, through testcontainers’ own client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-probe-'));
  // testcontainers keeps its configuration (and a found client) per process: the engine found
  // on a fake Docker Desktop API is in engine-discovery.test.ts, a file (and worker) of its own.

  it('where nothing testcontainers looks at exists, answers at once without loading it', async () => {
    if (engineHints({}).length > 0) return; // this machine has a default socket or properties file
    const started = Date.now();
    const probe = await probeDockerEngine(1500, {});
    expect(probe.available).toBe(false);
    expect(probe.reason).toMatch(/DOCKER_HOST, ~\/\.testcontainers\.properties, \/var\/run\/docker\.sock/);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('fails with RUNTIME_UNAVAILABLE, exit code 3, naming where it looked, for a socket nobody serves', async () => {
    const sock = join(dir, 'absent.sock');
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${sock}`;
    try {
      const err = await requireDockerEngine(3000).catch((e: unknown) => e);
      expect(isSandboxError(err)).toBe(true);
      if (!isSandboxError(err)) return;
      expect(err.code).toBe('RUNTIME_UNAVAILABLE');
      expect(err.exitCode).toBe(3);
      expect(err.message).toContain(`DOCKER_HOST=unix://${sock}`);
      expect(err.hint).toContain('--runtime native');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
