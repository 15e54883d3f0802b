import { LocalstackContainer } from '@testcontainers/localstack';
import type { StartedNetwork } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { buildContainerPlans } from '../../../scripts/runtime/docker/container-plan.ts';
import { DESKTOP_HOST, DockerRuntime } from '../../../scripts/runtime/docker/docker-runtime.ts';
import { isPortConflict, toContainer } from '../../../scripts/runtime/docker/to-container.ts';
import { stackComponents } from '../../../scripts/stack/catalog.ts';

// What testcontainers will send to Docker's create call, read from the builder's fields.
interface Built {
  createOpts: { Image: string; Cmd?: string[]; Env?: string[]; Labels: Record<string, string>; ExposedPorts: Record<string, object> };
  environment: Record<string, string>;
  hostConfig: { PortBindings: Record<string, { HostPort: string; HostIp?: string }[]>; Binds?: string[]; Memory?: number };
  networkMode: string;
  networkAliases: string[];
  directoriesToCopy: { source: string; target: string }[];
  startupTimeoutMs: number;
  waitStrategy: { path: string; port: number };
  beforeContainerCreated(): Promise<void>;
}

const network = { getName: () => 'sandbox-net' } as StartedNetwork;
const plans = buildContainerPlans({
  components: stackComponents,
  hostPort: (c, p) => stackComponents.find((s) => s.name === c)!.ports[p]! + 7,
  configDir: (c) => `/state/config/${c}`,
  labels: { 'org.observability-sandbox.session': 's1' },
});
const prom = plans.find((p) => p.name === 'prometheus')!;
const built = (fixedPorts: boolean, publishHost = '127.0.0.1', plan = prom) =>
  toContainer(plan, { network, fixedPorts, publishHost }) as unknown as Built;

describe('toContainer: the plan as testcontainers will create it', () => {
  it('passes image, command, labels, network alias and memory through', () => {
    const c = built(true);
    expect(c.createOpts.Image).toBe(prom.image);
    expect(c.createOpts.Cmd).toEqual(prom.command);
    expect(c.createOpts.Labels).toMatchObject(prom.labels);
    expect(c.networkMode).toBe('sandbox-net');
    expect(c.networkAliases).toEqual(['prometheus']);
    expect(c.hostConfig.Memory).toBe(prom.memoryMiB * 1024 * 1024);
    expect(c.startupTimeoutMs).toBe(prom.wait.timeoutMs);
    expect(c.waitStrategy).toMatchObject({ path: '/-/ready', port: 9090 });
  });

  it('asks for the fixed host port, on loopback only for a local engine', async () => {
    const c = built(true);
    expect(Object.keys(c.createOpts.ExposedPorts)).toEqual(['9090/tcp']);
    await c.beforeContainerCreated();
    expect(c.hostConfig.PortBindings['9090/tcp']).toEqual([{ HostPort: '9097', HostIp: '127.0.0.1' }]);
  });

  it('publishes on every interface for a remote engine, and lets Docker pick when the port is taken', async () => {
    const remote = built(true, '');
    await remote.beforeContainerCreated();
    expect(remote.hostConfig.PortBindings['9090/tcp']).toEqual([{ HostPort: '9097' }]);
    const dynamic = built(false);
    await dynamic.beforeContainerCreated();
    expect(dynamic.hostConfig.PortBindings['9090/tcp']).toEqual([{ HostPort: '0', HostIp: '127.0.0.1' }]);
  });

  it('bind-mounts the rendered config read-only, or copies it', () => {
    expect(built(true).hostConfig.Binds).toEqual(['/state/config/prometheus:/etc/prometheus:ro']);
    const copied = built(true, '127.0.0.1', { ...prom, config: { ...prom.config, delivery: 'copy' } });
    expect(copied.hostConfig.Binds).toBeUndefined();
    expect(copied.directoriesToCopy).toEqual([{ source: '/state/config/prometheus', target: '/etc/prometheus' }]);
  });

  it('recognises Docker port conflicts (Linux engine and Docker Desktop wording)', () => {
    expect(isPortConflict(new Error('Bind for 0.0.0.0:9090 failed: port is already allocated'))).toBe(true);
    expect(isPortConflict(new Error('Ports are not available: exposing port TCP 127.0.0.1:9090 -> 0.0.0.0:0: listen tcp 127.0.0.1:9090: bind: address already in use'))).toBe(true);
    expect(isPortConflict(new Error('pull access denied for prom/prometheus'))).toBe(false);
  });
});

describe('toContainer: Grafana and LocalStack', () => {
  const grafana = plans.find((p) => p.name === 'grafana')!;
  const localstack = plans.find((p) => p.name === 'localstack')!;

  it('leaves Grafana’s image command alone and mounts config and dashboards read-only', () => {
    const c = toContainer(grafana, { network, fixedPorts: true, publishHost: '127.0.0.1' }) as unknown as Built;
    expect(c.createOpts.Cmd).toBeUndefined();
    expect(c.hostConfig.Binds).toEqual(['/state/config/grafana:/etc/grafana:ro', `${grafana.mounts[0]!.source}:/var/lib/grafana-dashboards:ro`]);
    expect(c.environment).toMatchObject({ SANDBOX_PROMETHEUS_URL: 'http://prometheus:9090', GF_SERVER_HTTP_ADDR: '0.0.0.0' });
    expect(c.waitStrategy).toMatchObject({ path: '/api/health', port: 3000 });
  });

  it('copies the dashboards too when config is copied (remote engines)', () => {
    const c = toContainer({ ...grafana, config: { ...grafana.config, delivery: 'copy' } }, { network, fixedPorts: true, publishHost: '' }) as unknown as Built;
    expect(c.directoriesToCopy).toEqual([
      { source: '/state/config/grafana', target: '/etc/grafana' },
      { source: grafana.mounts[0]!.source, target: '/var/lib/grafana-dashboards' },
    ]);
  });

  it('builds LocalStack with its testcontainers module, waiting on /_localstack/health instead of a log line', () => {
    const c = toContainer(localstack, { network, fixedPorts: true, publishHost: '127.0.0.1' });
    expect(c).toBeInstanceOf(LocalstackContainer);
    const built = c as unknown as Built;
    expect(built.createOpts.Image).toBe('localstack/localstack:4.14.0');
    expect(built.createOpts.Cmd).toBeUndefined();
    expect(built.waitStrategy).toMatchObject({ path: '/_localstack/health', port: 4566 });
    expect(built.startupTimeoutMs).toBe(90_000);
    expect(built.environment).toMatchObject({ SERVICES: 'sns,sqs,s3,cloudwatch', LOCALSTACK_HOST: 'localstack:4566' });
    expect(built.networkAliases).toEqual(['localstack']);
    expect(built.hostConfig.Memory).toBe(localstack.memoryMiB * 1024 * 1024);
  });
});

describe('DockerRuntime addresses', () => {
  const runtime = new DockerRuntime({ network: 'bridge' });
  it('on a bridge (Docker Desktop) reaches host processes at host.docker.internal', () => {
    expect(runtime.hostAddress).toBe(DESKTOP_HOST);
    expect(DESKTOP_HOST).toBe('host.docker.internal');
  });
  it('on a bridge reaches peers by component name and container port, whatever the host offset', () => {
    expect(runtime.peerAddress('alertmanager')).toBe('alertmanager:9093');
    expect(runtime.peerAddress('prometheus', 'http')).toBe('prometheus:9090');
    expect(runtime.peerAddress('grafana')).toBe('grafana:3000');
    expect(runtime.peerAddress('tempo', 'otlp-http')).toBe('tempo:4318');
    expect(() => runtime.peerAddress('jaeger')).toThrow(/jaeger/);
  });
  it('with host networking reaches host processes and peers on 127.0.0.1 at the host ports, as natively', async () => {
    const host = new DockerRuntime({ network: 'host' });
    expect(host.hostAddress).toBe('127.0.0.1');
    // prepare() fixes the plan; its image pulls need an engine, so only the addressing is read here.
    (host as unknown as { plan: unknown }).plan = { hostPort: (c: string, p: string) => stackComponents.find((s) => s.name === c)!.ports[p]! + 7 };
    expect(host.peerAddress('alertmanager')).toBe('127.0.0.1:9100');
    expect(host.peerAddress('tempo', 'otlp-http')).toBe('127.0.0.1:4325');
  });
  it('stops safely before it ever started, twice', async () => {
    await runtime.stop();
    await runtime.stop();
    expect(runtime.status()).toEqual([]);
  });
});

describe('host networking (Docker Engine on Linux)', () => {
  const hostPlans = buildContainerPlans({
    components: stackComponents,
    network: 'host',
    hostPort: (c, p) => stackComponents.find((s) => s.name === c)!.ports[p]! + 7,
    configDir: (c) => `/state/config/${c}`,
    labels: { 'org.observability-sandbox.session': 's1' },
  });
  it.each(hostPlans.map((p) => [p.name, p] as const))('%s: joins the host namespace, publishes nothing, listens on 127.0.0.1 at the host port', (_name, plan) => {
    const b = toContainer(plan, { fixedPorts: true, publishHost: '127.0.0.1' }) as unknown as Built;
    expect(b.networkMode).toBe('host');
    expect(Object.keys(b.hostConfig.PortBindings ?? {})).toEqual([]);
    const spec = stackComponents.find((s) => s.name === plan.name)!;
    const text = [...plan.command, ...Object.values(plan.env)].join(' ');
    expect(text).not.toContain('0.0.0.0');
    const primary = spec.ports[spec.primaryPort]! + 7;
    // Grafana and the expand-env configs (Loki, Tempo) take address and port apart.
    expect(text.includes(`127.0.0.1:${primary}`) || (text.includes('127.0.0.1') && text.includes(String(primary)))).toBe(true);
  });
  it('Prometheus reaches Alertmanager and Tempo reaches Prometheus on loopback', () => {
    const tempo = hostPlans.find((p) => p.name === 'tempo')!;
    expect(tempo.env.SANDBOX_PROMETHEUS_ADDR).toBe('127.0.0.1:9097');
    expect(hostPlans.find((p) => p.name === 'grafana')!.env.SANDBOX_ALERTMANAGER_URL).toBe('http://127.0.0.1:9100');
  });
});

describe('removeSandboxContainers', () => {
  it('refuses to run without labels, which would match every container on the engine', async () => {
    const { removeSandboxContainers } = await import('../../../scripts/runtime/docker/docker-runtime.ts');
    await expect(removeSandboxContainers({})).rejects.toThrow(/at least one label/);
  });
});
