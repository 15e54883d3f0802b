import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxError } from '../../../scripts/core/errors.ts';
import { LoadDriver, type LoadProfile } from '../../../scripts/load/driver.ts';
import { k6MissingError } from '../../../scripts/load/k6/binary.ts';
import { k6Container } from '../../../scripts/load/k6/container.ts';
import {
  buildK6ContainerPlan,
  CONTAINER_HOST_ALIAS,
  containerTargetUrl,
  firstFileInTar,
  K6_RUN_LABEL,
  k6ContainerError,
} from '../../../scripts/load/k6/container-plan.ts';
import { K6_IMAGE, K6_IMAGE_REF } from '../../../scripts/load/k6/image.ts';
import { generateK6Script } from '../../../scripts/load/k6/script.ts';
import { chooseK6Way } from '../../../scripts/load/k6/way.ts';
import { COMPONENT_LABEL } from '../../../scripts/runtime/docker/container-plan.ts';
import { DESKTOP_HOST } from '../../../scripts/runtime/docker/docker-runtime.ts';
import { caught } from '../../helpers/errors.ts';

const sessionLabels = { 'org.observability-sandbox.session': 's1', 'org.observability-sandbox.state-dir': '/state' };

const profile: LoadProfile = {
  rate: 10,
  durationSeconds: 20,
  requests: [
    { method: 'POST', path: '/predict', weight: 3 },
    { method: 'GET', path: '/health', weight: 1 },
  ],
  baseUrl: 'http://127.0.0.1:18080',
  body: (e) => (e.method === 'GET' ? undefined : { engineId: 'e1' }),
  engine: 'k6',
};

describe('the k6 image', () => {
  it('is pinned to a 1.x release as the catalog pins its images (name:tag, no leading v)', () => {
    expect(K6_IMAGE).toEqual({ name: 'grafana/k6', tag: '1.8.1' });
    expect(K6_IMAGE_REF).toBe('grafana/k6:1.8.1');
    expect(K6_IMAGE.tag).toMatch(/^1\.\d+\.\d+$/);
  });
});

describe('which way k6 runs', () => {
  it('a k6 binary on PATH wins on every runtime', () => {
    for (const runtime of ['native', 'docker', 'attached', undefined]) {
      expect(chooseK6Way({ binary: '/usr/bin/k6', runtime })).toEqual({ kind: 'binary', binary: '/usr/bin/k6' });
    }
  });

  it('no binary on the docker runtime: the pinned image', () => {
    expect(chooseK6Way({ binary: null, runtime: 'docker' })).toEqual({ kind: 'container', image: 'grafana/k6:1.8.1' });
  });

  it('no binary anywhere else: BINARY_MISSING naming the install page, the docker runtime with its image, and engine: builtin', () => {
    for (const runtime of ['native', 'attached', undefined]) {
      const way = chooseK6Way({ binary: null, runtime });
      expect(way.kind).toBe('missing');
      const e = (way as { error: SandboxError }).error;
      expect(e.code).toBe('BINARY_MISSING');
      expect(e.exitCode).toBe(3);
      expect(e.message).toBe('load.engine is k6, but the k6 binary was not found on PATH');
      expect(e.hint).toBe(
        'install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/), run the sandbox on the docker runtime (`--runtime docker`), ' +
          'where k6 runs in the grafana/k6:1.8.1 image, or use `engine: builtin` under `load` in the scenario',
      );
    }
    expect(k6MissingError().hint).toContain('grafana/k6:1.8.1');
  });

  describe('in the load driver (PATH without k6)', () => {
    let path: string | undefined;
    beforeEach(() => {
      path = process.env.PATH;
      process.env.PATH = mkdtempSync(join(tmpdir(), 'no-k6-'));
    });
    afterEach(() => {
      process.env.PATH = path;
    });

    it('accepts a k6 profile on the docker runtime and refuses it on the native one', () => {
      expect(() => new LoadDriver({ ...profile, sandbox: { runtime: 'docker', labels: sessionLabels } })).not.toThrow();
      expect(caught(() => new LoadDriver({ ...profile, sandbox: { runtime: 'native', labels: sessionLabels } })).code).toBe('BINARY_MISSING');
      expect(caught(() => new LoadDriver(profile)).code).toBe('BINARY_MISSING');
    });

    it('prepares nothing (no engine call) for the builtin engine or a k6 binary', async () => {
      const sandbox = { runtime: 'docker', labels: sessionLabels };
      await expect(new LoadDriver({ ...profile, engine: 'builtin', sandbox }).prepare()).resolves.toBeUndefined();
      await expect(new LoadDriver({ ...profile, engine: undefined, sandbox }).prepare()).resolves.toBeUndefined();
      const dir = mkdtempSync(join(tmpdir(), 'with-k6-'));
      writeFileSync(join(dir, 'k6'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      process.env.PATH = dir;
      await expect(new LoadDriver({ ...profile, sandbox }).prepare()).resolves.toBeUndefined();
    });
  });
});

describe('the target as a container sees it', () => {
  it('is the same port at host.docker.internal, the name the docker runtime uses', () => {
    expect(CONTAINER_HOST_ALIAS).toBe(DESKTOP_HOST);
    expect(containerTargetUrl('http://127.0.0.1:18080')).toEqual({ url: 'http://host.docker.internal:18080', hostPort: 18080 });
    expect(containerTargetUrl('http://localhost:8080/')).toEqual({ url: 'http://host.docker.internal:8080', hostPort: 8080 });
    expect(containerTargetUrl('http://[::1]:9000/api/')).toEqual({ url: 'http://host.docker.internal:9000/api', hostPort: 9000 });
    expect(containerTargetUrl('http://127.0.0.1')).toEqual({ url: 'http://host.docker.internal', hostPort: 80 });
  });

  it('is the only other name a k6 script accepts for its target, at the same port and path', () => {
    const input = { ...profile, sendTo: 'http://host.docker.internal:18080' };
    expect(generateK6Script(input)).toContain('const BASE_URL = "http://host.docker.internal:18080";');
    expect(() => generateK6Script({ ...input, sendTo: 'http://192.0.2.1:18080' })).toThrow(/not http:\/\/127.0.0.1:18080 by another host name/);
    expect(() => generateK6Script({ ...input, sendTo: 'http://host.docker.internal:9090' })).toThrow(/by another host name/);
    expect(() => generateK6Script({ ...input, sendTo: 'http://host.docker.internal:18080/admin' })).toThrow(/by another host name/);
  });

  it('with host networking (Docker Engine on Linux) is the loopback URL itself', () => {
    expect(containerTargetUrl('http://127.0.0.1:18080', 'host')).toEqual({ url: 'http://127.0.0.1:18080', hostPort: 18080 });
    const plan = buildK6ContainerPlan(profile, { labels: sessionLabels, runId: 'r2', network: 'host' });
    expect(plan.network).toBe('host');
    expect(plan.script.content).toContain('const BASE_URL = "http://127.0.0.1:18080";');
    expect(plan.script.content).not.toContain('host.docker.internal');
  });

  it('only for a loopback host URL', () => {
    expect(caught(() => containerTargetUrl('http://192.0.2.1:8080')).code).toBe('INVALID_ARGUMENT');
    expect(caught(() => containerTargetUrl('http://host.docker.internal:8080')).code).toBe('INVALID_ARGUMENT');
  });
});

describe('the k6 container plan', () => {
  const plan = buildK6ContainerPlan(profile, { labels: sessionLabels, runId: 'r1' });

  it('runs `run ...` (the entrypoint is k6) with the binary path’s flags, paths in /tmp', () => {
    expect(plan.image).toBe('grafana/k6:1.8.1');
    expect(plan.command).toEqual(['run', '--quiet', '--no-usage-report', '--summary-export', '/tmp/sandbox-summary.json', '/tmp/sandbox-load.js']);
    expect(plan.summaryPath).toBe('/tmp/sandbox-summary.json');
    expect(plan.script).toMatchObject({ target: '/tmp/sandbox-load.js', mode: 0o644 });
  });

  it('copies in a script that sends to host.docker.internal on the host URL’s port, and exposes that port', () => {
    expect(plan.hostPort).toBe(18080);
    expect(plan.targetUrl).toBe('http://host.docker.internal:18080');
    expect(plan.script.content).toContain('const BASE_URL = "http://host.docker.internal:18080";');
    expect(plan.script.content).not.toContain('127.0.0.1');
    expect(plan.script.content).toContain('"executor": "constant-arrival-rate"');
  });

  it('has only K6_NO_USAGE_REPORT in its environment', () => {
    expect(plan.env).toEqual({ K6_NO_USAGE_REPORT: 'true' });
  });

  it('carries the session labels, the k6 component label and its run label', () => {
    expect(plan.labels).toEqual({ ...sessionLabels, [COMPONENT_LABEL]: 'k6', [K6_RUN_LABEL]: 'r1' });
  });

  it('is ready once running, with the binary path’s deadline and a 5 s stop grace', () => {
    expect(plan.wait).toBe('running');
    expect(plan.deadlineMs).toBe((20 + 5 + 30) * 1000);
    expect(plan.stopTimeoutMs).toBe(5000);
  });

  it('refuses a non-loopback target before anything else', () => {
    expect(caught(() => buildK6ContainerPlan({ ...profile, baseUrl: 'http://192.0.2.1:8080' }, { labels: {}, runId: 'x' })).code).toBe('INVALID_ARGUMENT');
  });

  it('becomes a testcontainers definition with exactly that, whatever K6_* the host has set', () => {
    process.env.K6_OUT = 'cloud';
    process.env.K6_CLOUD_TOKEN = 'secret';
    try {
      const c = k6Container(plan) as unknown as {
        createOpts: { Image: string; Cmd: string[]; Env: string[]; Labels: Record<string, string>; ExposedPorts?: Record<string, object> };
        contentsToCopy: { content: string; target: string; mode: number }[];
        waitStrategy: object;
        bindMounts?: unknown[];
      };
      expect(c.createOpts.Image).toBe('grafana/k6:1.8.1');
      expect(c.createOpts.Cmd).toEqual(plan.command);
      expect(c.createOpts.Env).toEqual(['K6_NO_USAGE_REPORT=true']);
      expect(c.createOpts.Labels).toMatchObject(plan.labels);
      expect(Object.keys(c.createOpts.ExposedPorts ?? {})).toEqual([]);
      expect(c.contentsToCopy).toEqual([plan.script]);
      expect(c.waitStrategy.constructor.name).toBe('HostPortWaitStrategy');
    } finally {
      delete process.env.K6_OUT;
      delete process.env.K6_CLOUD_TOKEN;
    }
  });
});

describe('k6 container errors', () => {
  const plan = buildK6ContainerPlan(profile, { labels: sessionLabels, runId: 'r1' });

  it('a failed start names the image; a pull failure says why and how to fix it', () => {
    const e = k6ContainerError(plan, { kind: 'start', message: '(HTTP code 404) no such image - manifest unknown' }, []);
    expect(e.code).toBe('IMAGE_UNAVAILABLE');
    expect(e.message).toBe('the k6 load container: image grafana/k6:1.8.1 could not be pulled: the registry has no such image or tag (or it is private) ((HTTP code 404) no such image - manifest unknown)');
    expect(e.hint).toContain('`docker pull grafana/k6:1.8.1`');
    expect(e.hint).toContain('or install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) to run the load from this machine');
    expect(k6ContainerError(plan, { kind: 'start', message: 'connect ENOENT /var/run/docker.sock' }, []).hint).toMatch(/^check `docker info`/);
  });

  it('an exit without a summary carries k6’s last lines, what the code means and where it sent', () => {
    const e = k6ContainerError(plan, { kind: 'exit', exitCode: 107 }, ['level=error msg="ReferenceError: x is not defined"']);
    expect(e.code).toBe('COMPONENT_DIED');
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe('the k6 load container (grafana/k6:1.8.1) exited with code 107 without writing its summary');
    expect(e.details).toEqual(['k6 | level=error msg="ReferenceError: x is not defined"']);
    expect(e.hint).toContain('the script threw an exception');
    expect(e.hint).toContain('http://host.docker.internal:18080');
    expect(e.hint).toContain('engine: builtin');
    expect(k6ContainerError(plan, { kind: 'exit', exitCode: 3 }, []).hint).toContain('see k6 exit codes');
  });

  it('an unreadable summary says so', () => {
    expect(k6ContainerError(plan, { kind: 'summary', message: 'Unexpected end of JSON input' }, []).message).toBe(
      'the k6 load container (grafana/k6:1.8.1) wrote an unreadable summary export: Unexpected end of JSON input',
    );
  });
});

describe('reading the summary back from the engine’s tar archive', () => {
  const json = JSON.stringify({ metrics: { http_reqs: { count: 3, rate: 1 } } });
  const archive = (format: string, name = 'sandbox-summary.json', content = json): Buffer => {
    const dir = mkdtempSync(join(tmpdir(), 'k6-tar-'));
    const file = join(dir, name);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    return execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', dir, name]);
  };

  it('finds the one file in USTAR, PAX (extended header first) and GNU long-name archives', () => {
    expect(firstFileInTar(archive('ustar'))?.toString()).toBe(json);
    const pax = archive('pax');
    expect(String.fromCharCode(pax[156]!)).toBe('x'); // GNU tar writes an extended header first
    expect(firstFileInTar(pax)?.toString()).toBe(json);
    const long = `${'d'.repeat(120)}/sandbox-summary.json`;
    expect(firstFileInTar(archive('gnu', long))?.toString()).toBe(json);
    expect(firstFileInTar(archive('ustar', 'big.json', 'x'.repeat(70_000)))?.length).toBe(70_000);
  });

  it('null for an empty archive; an error for something that is not tar, or is cut short', () => {
    expect(firstFileInTar(Buffer.alloc(1024))).toBeNull();
    expect(() => firstFileInTar(Buffer.from('{"metrics":{}}'.padEnd(600, ' ')))).toThrow(/not a tar archive/);
    const big = archive('ustar', 'big.json', 'x'.repeat(5000));
    expect(() => firstFileInTar(big.subarray(0, 2048))).toThrow(/truncated/);
  });
});
