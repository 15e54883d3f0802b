import Dockerode from 'dockerode';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engineConnectionOf } from '../../../scripts/runtime/docker/leftovers.ts';
import { sandboxNetworkPlan } from '../../../scripts/runtime/docker/network.ts';
import { labelFilters, removeLabelled, type LabelledEngine } from '../../../scripts/runtime/docker/remove.ts';
import { leftoversLine, readReaperInput, RELEASE_LINE } from '../../../scripts/runtime/processes/reaper-protocol.ts';

const labels = { 'org.observability-sandbox.session': 'a1b2c3d4e5f6', 'org.observability-sandbox.state-dir': '/work/.sandbox' };

describe('the bridge network plan', () => {
  it('carries the run labels the containers carry, so every reap by label finds it, and testcontainers\' own for Ryuk', () => {
    const plan = sandboxNetworkPlan(labels, 'tc-session-1');
    expect(plan.Labels).toMatchObject(labels);
    expect(plan.Labels['org.testcontainers.session-id']).toBe('tc-session-1');
    expect(plan.Labels['org.testcontainers']).toBe('true');
    // Filtering by the state dir's label (reapStale, down) matches the network's labels.
    for (const f of labelFilters({ 'org.observability-sandbox.state-dir': '/work/.sandbox' })) {
      const [k, v] = f.split('=');
      expect(plan.Labels[k!]).toBe(v);
    }
    expect(plan).toMatchObject({ Name: 'observability-sandbox-a1b2c3d4e5f6', Driver: 'bridge', Internal: false, CheckDuplicate: true });
  });

  it('a run without a session label still gets a unique name', () => {
    expect(sandboxNetworkPlan({ 'org.observability-sandbox.state-dir': '/x' }, 'x', () => 'uuid-1').Name).toBe('observability-sandbox-uuid-1');
  });
});

/**
 * A stand-in engine that records calls, for the order and error handling of a removal. The
 * real engine is exercised by test/docker/whole-sandbox.test.ts (SIGKILL, down, bridge mode).
 */
function recordingEngine(opts: { containers: string[]; networks: string[]; fail?: Record<string, number> }) {
  const calls: string[] = [];
  const removal = (id: string) => async () => {
    calls.push(`remove ${id}`);
    const status = opts.fail?.[id];
    if (status) throw Object.assign(new Error(`HTTP ${status}`), { statusCode: status });
  };
  const engine = {
    listContainers: async (o: { all: boolean; filters: { label: string[] } }) => {
      calls.push(`list containers all=${o.all} ${o.filters.label.join(',')}`);
      return opts.containers.map((Id) => ({ Id }));
    },
    getContainer: (id: string) => ({ remove: removal(id) }),
    listNetworks: async (o: { filters: { label: string[] } }) => {
      calls.push(`list networks ${o.filters.label.join(',')}`);
      return opts.networks.map((Id) => ({ Id }));
    },
    getNetwork: (id: string) => ({ remove: removal(id) }),
  };
  return { engine: engine as unknown as LabelledEngine, calls };
}

describe('removal by label', () => {
  it('removes containers (stopped ones too) before networks, which cannot go while a container is attached', async () => {
    const { engine, calls } = recordingEngine({ containers: ['c1', 'c2'], networks: ['n1'] });
    expect(await removeLabelled(engine, labels)).toEqual({ containers: 2, networks: 1 });
    const filter = 'org.observability-sandbox.session=a1b2c3d4e5f6,org.observability-sandbox.state-dir=/work/.sandbox';
    expect(calls).toEqual([`list containers all=true ${filter}`, 'remove c1', 'remove c2', `list networks ${filter}`, 'remove n1']);
  });

  it('counts what another remover took first (404, 409) as gone, and throws anything else after trying the rest', async () => {
    const gone = recordingEngine({ containers: ['c1', 'c2'], networks: ['n1'], fail: { c1: 404, n1: 409 } });
    expect(await removeLabelled(gone.engine, labels)).toEqual({ containers: 1, networks: 0 });
    const refused = recordingEngine({ containers: ['c1', 'c2'], networks: [], fail: { c1: 500 } });
    await expect(removeLabelled(refused.engine, labels)).rejects.toThrow('HTTP 500');
    expect(refused.calls).toContain('remove c2');
  });

  it('leaves networks alone when asked (a k6 run removes its own container only) and refuses an empty label set', async () => {
    const { engine, calls } = recordingEngine({ containers: ['k'], networks: ['n1'] });
    expect(await removeLabelled(engine, { 'org.observability-sandbox.k6-run': 'r1' }, { networks: false })).toEqual({ containers: 1, networks: 0 });
    expect(calls.some((c) => c.startsWith('list networks'))).toBe(false);
    await expect(removeLabelled(engine, {})).rejects.toThrow(/at least one label/);
  });
});

describe('the reaper protocol', () => {
  const spec = { engine: { socketPath: '/var/run/docker.sock' }, labels };

  it('a docker line survives the pipe, and the reaper removes nothing after a release', () => {
    expect(readReaperInput(leftoversLine(spec))).toEqual({ released: false, docker: spec });
    expect(readReaperInput(leftoversLine(spec) + RELEASE_LINE)).toEqual({ released: true, docker: spec });
    expect(readReaperInput('')).toEqual({ released: false, docker: null });
  });

  it('ignores a line cut off by the host\'s death, and one without labels (which would match everything)', () => {
    expect(readReaperInput(leftoversLine(spec).slice(0, -5)).docker).toBeNull();
    expect(readReaperInput(`${RELEASE_LINE.slice(0, -1)}`).released).toBe(false);
    expect(readReaperInput(leftoversLine({ engine: spec.engine, labels: {} })).docker).toBeNull();
    expect(readReaperInput('docker {not json\n').docker).toBeNull();
    expect(readReaperInput(leftoversLine(spec) + 'docker {"engine":{},"labels":{"a":1}}\n').docker).toEqual(spec);
  });
});

describe('the engine connection handed to the reaper', () => {
  // Real dockerode clients (no engine is contacted when one is constructed). docker-modem merges
  // DOCKER_HOST and DOCKER_CERT_PATH under the options given: not this shell's.
  beforeEach(() => {
    vi.stubEnv('DOCKER_HOST', '');
    vi.stubEnv('DOCKER_CERT_PATH', '');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('a socket, as testcontainers found it', () => {
    expect(engineConnectionOf(new Dockerode({ socketPath: '/run/lab/docker.sock' }))).toMatchObject({ socketPath: '/run/lab/docker.sock', protocol: 'http' });
  });

  it('TCP with TLS material as text, so it survives JSON and builds the same client again', () => {
    const conn = engineConnectionOf(new Dockerode({ host: '127.0.0.1', port: 2376, ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') }));
    expect(conn).toMatchObject({ host: '127.0.0.1', port: 2376, protocol: 'https', ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(conn.socketPath).toBeUndefined();
    const again = engineConnectionOf(new Dockerode(JSON.parse(JSON.stringify(conn)) as Dockerode.DockerOptions));
    expect(again).toEqual(conn);
  });
});
