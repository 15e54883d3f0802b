import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode, type SandboxError } from '../../../scripts/core/errors.ts';
import { refuseUnrunnableK6, type K6PreflightDeps } from '../../../scripts/load/k6/preflight.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'k6-preflight-'));
function scenario(name: string, load: string) {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\nload:\n${load}expect:\n  - noOtherAlerts: true\n`);
  return loadScenario(f);
}
const k6 = scenario('steady-k6', '  rate: 10\n  duration: 15s\n  engine: k6\n');
const k6Too = scenario('ramp-k6', '  executor: ramping-arrival-rate\n  duration: 20s\n  engine: k6\n  stages:\n    - { target: 20, duration: 20s }\n');
const builtin = scenario('steady-builtin', '  rate: 10\n  duration: 15s\n');
const idleK6 = scenario('idle-k6', '  rate: 0\n  duration: 15s\n  engine: k6\n');

/** Whatever is not given must not be asked: a call fails the test. */
function deps(d: K6PreflightDeps): Required<K6PreflightDeps> {
  const never = (what: string) => () => {
    throw new Error(`${what} was not expected`);
  };
  return { findBinary: () => null, autoPicksDocker: never('the engine probe'), ensureK6Image: never('the image pull'), ...d };
}

async function refusal(p: Promise<void>): Promise<SandboxError> {
  try {
    await p;
  } catch (e) {
    return e as SandboxError;
  }
  throw new Error('expected a refusal');
}

const offline = 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host';

afterEach(() => vi.unstubAllEnvs());

describe('k6 preflight: before anything starts', () => {
  it('asks nothing when no scenario sends load with k6, or a k6 binary is on PATH', async () => {
    await refuseUnrunnableK6([builtin, idleK6], 'native', deps({ findBinary: () => '/unused' }));
    await refuseUnrunnableK6([builtin, idleK6], 'docker', deps({}));
    await refuseUnrunnableK6([k6, builtin], 'docker', deps({ findBinary: () => '/usr/bin/k6' }));
    await refuseUnrunnableK6([k6], 'attached', deps({ findBinary: () => '/usr/bin/k6' }));
  });

  it('native without a binary: BINARY_MISSING, naming every k6 scenario at its `engine:` line and the three ways out', async () => {
    const e = await refusal(refuseUnrunnableK6([k6, builtin, k6Too], 'native', deps({})));
    expect(e.code).toBe('BINARY_MISSING');
    expect(e.exitCode).toBe(ExitCode.environment);
    expect(e.message).toBe(`${k6.file}, ${k6Too.file}: load.engine is k6, but the k6 binary was not found on PATH (runtime native)`);
    expect(e.details).toEqual([`${k6.file}:5:3: load.engine`, `${k6Too.file}:5:3: load.engine`]);
    expect(e.hint).toContain('install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/)');
    expect(e.hint).toContain('`--runtime docker`');
    expect(e.hint).toContain(`set \`engine: builtin\` under \`load\` in ${k6.file}, ${k6Too.file}`);
  });

  it('attached without a binary: the runtime flag is no way out there, so the hint does not offer it', async () => {
    const e = await refusal(refuseUnrunnableK6([k6], 'attached', deps({})));
    expect(e.code).toBe('BINARY_MISSING');
    expect(e.message).toMatch(/\(runtime attached\)$/);
    expect(e.hint).not.toContain('--runtime docker');
  });

  it('docker without a binary: pulls the k6 image now, and passes when it is there', async () => {
    const pulled: string[] = [];
    await refuseUnrunnableK6([k6], 'docker', deps({ ensureK6Image: async (image) => void pulled.push(image) }));
    expect(pulled).toEqual(['grafana/k6:1.8.1']);
    vi.stubEnv('SANDBOX_K6_IMAGE', 'mirror.internal/grafana/k6:1.8.1');
    await refuseUnrunnableK6([k6], 'docker', deps({ ensureK6Image: async (image) => void pulled.push(image) }));
    expect(pulled[1]).toBe('mirror.internal/grafana/k6:1.8.1');
  });

  it('docker without a binary, the image cannot be pulled: IMAGE_UNAVAILABLE with why and the exact fixes', async () => {
    const e = await refusal(
      refuseUnrunnableK6([k6], 'docker', deps({ ensureK6Image: async () => Promise.reject(new Error(offline)) })),
    );
    expect(e.code).toBe('IMAGE_UNAVAILABLE');
    expect(e.exitCode).toBe(ExitCode.environment);
    expect(e.message).toMatch(/^\S+steady-k6\.yaml: load\.engine is k6, but the k6 binary was not found on PATH and image grafana\/k6:1\.8\.1 could not be pulled: the registry cannot be reached/);
    expect(e.details).toEqual([`${k6.file}:5:3: load.engine`]);
    expect(e.hint).toMatch(/^install k6 \(https:\/\/grafana\.com\/docs\/k6\/latest\/set-up\/install-k6\/\), which runs it from this machine; or once online, `docker pull grafana\/k6:1\.8\.1`; or set SANDBOX_K6_IMAGE to an image you have/);
    expect(e.hint).toContain(`set \`engine: builtin\` under \`load\` in ${k6.file}`);
  });

  it('docker where no engine answers: left to the sandbox start, which says so', async () => {
    await refuseUnrunnableK6([k6], 'docker', deps({ ensureK6Image: async () => null }));
  });

  it('auto: decided as the runtime selection decides, docker where it picks docker, native with its reason elsewhere', async () => {
    const pulled: string[] = [];
    await refuseUnrunnableK6([k6], 'auto', deps({ autoPicksDocker: async () => ({ docker: true, reason: 'Docker Engine' }), ensureK6Image: async (i) => void pulled.push(i) }));
    expect(pulled).toEqual(['grafana/k6:1.8.1']);
    const e = await refusal(refuseUnrunnableK6([k6], 'auto', deps({ autoPicksDocker: async () => ({ docker: false, reason: 'no Docker engine (nothing listens)' }) })));
    expect(e.code).toBe('BINARY_MISSING');
    expect(e.message).toMatch(/\(runtime native\)$/);
    expect(e.details).toContain('`--runtime auto` runs native here: no Docker engine (nothing listens)');
  });
});
