import { describe, expect, it } from 'vitest';
import { buildContainerPlans, COMPONENT_LABEL } from '../../../scripts/runtime/docker/container-plan.ts';
import { portPlan, stackComponents } from '../../../scripts/stack/catalog.ts';

const ports = portPlan(100);
const labels = { 'org.observability-sandbox.session': 'abc123' };
const plans = buildContainerPlans({
  components: stackComponents,
  hostPort: (c, p) => ports.stack(c, p),
  configDir: (c) => `/state/config/${c}`,
  labels,
  stackPassword: 'session-token',
});
const byName = (name: string) => plans.find((p) => p.name === name)!;

describe('container plan vs the catalog', () => {
  it('has one container per catalog component, in start order', () => {
    expect(plans.map((p) => p.name).sort()).toEqual(stackComponents.map((c) => c.name).sort());
    const orders = plans.map((p) => p.startOrder);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
  });

  it.each(stackComponents.map((c) => [c.name, c] as const))('%s: pinned image, never latest', (_name, spec) => {
    const plan = byName(spec.name);
    expect(plan.image).toBe(`${spec.image.name}:${spec.image.tag}`);
    expect(spec.image.tag).not.toMatch(/^(latest|main|master)$/);
    // A release tag: a version number, not a moving name.
    expect(spec.image.tag).toMatch(/^v?\d+\.\d+\.\d+/);
  });

  it.each(stackComponents.map((c) => [c.name, c] as const))('%s: every port exposed, on the plan host port', (_name, spec) => {
    const plan = byName(spec.name);
    expect(plan.ports.map((p) => p.name).sort()).toEqual(Object.keys(spec.ports).sort());
    for (const p of plan.ports) {
      expect(p.container).toBe(spec.ports[p.name]);
      expect(p.host).toBe(spec.ports[p.name]! + 100);
    }
  });

  it.each(stackComponents.map((c) => [c.name, c] as const))('%s: args and environment use container paths and listen on 0.0.0.0', (_name, spec) => {
    const plan = byName(spec.name);
    // Flags (Prometheus family) or environment (Loki, Tempo, Grafana, LocalStack) carry the settings.
    const joined = [...plan.command, ...Object.values(plan.env)].join(' ');
    expect(joined).not.toContain('/state/');
    expect(joined).not.toContain('127.0.0.1:' + String(spec.ports[spec.primaryPort]));
    // Where the component keeps data at all (the blackbox exporter keeps none), it is the container's.
    const probe = { configDir: '/c', dataDir: '/d', listenHost: 'h', port: () => 1, externalUrl: 'u', peer: () => 'p:1', projectPath: (r: string) => `/p/${r}`, stackPassword: '' };
    const usesData = [...spec.args(probe), ...Object.values(spec.env?.(probe) ?? {})].some((a) => a.includes('/d'));
    if (usesData) expect(joined).toContain(spec.containerDataDir);
    expect(plan.dataDir).toBe(spec.containerDataDir);
    if (spec.name === 'localstack') return; // LocalStack binds 0.0.0.0:4566 by itself in a container.
    expect(joined).toContain(spec.containerConfigDir);
    expect(joined).toMatch(new RegExp(`0\\.0\\.0\\.0(:${spec.ports[spec.primaryPort]}| |$)`));
  });

  it.each(['prometheus', 'alertmanager', 'blackbox-exporter'])('%s: announces the URL the host reaches it at', (name) => {
    const spec = stackComponents.find((c) => c.name === name)!;
    expect(byName(name).command).toContain(`--web.external-url=http://127.0.0.1:${spec.ports[spec.primaryPort]! + 100}`);
    expect(byName(name).command.join(' ')).toContain(`0.0.0.0:${spec.ports[spec.primaryPort]}`);
  });

  it('binds the rendered config dir onto the container config dir', () => {
    const prom = byName('prometheus');
    expect(prom.config).toEqual({ delivery: 'bind', source: '/state/config/prometheus', target: '/etc/prometheus' });
    expect(prom.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(byName('alertmanager').command).toContain('--config.file=/etc/alertmanager/alertmanager.yml');
  });

  it.each(stackComponents.map((c) => [c.name, c] as const))('%s: waits on the readiness path and port', (_name, spec) => {
    expect(byName(spec.name).wait).toEqual({
      path: spec.readiness.path,
      port: spec.ports[spec.readiness.port],
      timeoutMs: spec.readiness.timeoutMs,
      // Only Alertmanager asks for the stack's login on its readiness route.
      headers: spec.name === 'alertmanager' ? { authorization: `Basic ${Buffer.from('sandbox:session-token').toString('base64')}` } : {},
    });
  });

  it("starts Alertmanager with the login's web config, and hands Grafana the password for its data source", () => {
    expect(byName('alertmanager').command).toContain('--web.config.file=/etc/alertmanager/web.yml');
    expect(byName('grafana').env.SANDBOX_ALERTMANAGER_PASSWORD).toBe('session-token');
  });

  it('names each container on the network after its component, and labels it with the run', () => {
    for (const plan of plans) {
      expect(plan.networkAlias).toBe(plan.name);
      expect(plan.labels).toEqual({ ...labels, [COMPONENT_LABEL]: plan.name });
    }
  });

  it('keeps memory limits under 2.5 GiB in total, each one set', () => {
    for (const plan of plans) expect(plan.memoryMiB).toBeGreaterThan(0);
    expect(plans.reduce((sum, p) => sum + p.memoryMiB, 0)).toBeLessThan(2.5 * 1024);
  });

  it('makes later components depend on earlier ones', () => {
    // Prometheus scrapes the exporter and sends alerts to Alertmanager: both start first.
    expect(byName('prometheus').dependsOn).toEqual(['alertmanager', 'blackbox-exporter']);
    expect(byName('blackbox-exporter').dependsOn).toEqual([]);
    expect(byName('alertmanager').dependsOn).toEqual([]);
    // The observability backends come last, so none of them delays Prometheus' start.
    for (const name of ['loki', 'tempo', 'grafana', 'localstack']) {
      expect(byName(name).dependsOn).toEqual(['prometheus', 'alertmanager', 'blackbox-exporter']);
    }
  });

  it('copies config instead of binding it when asked (remote engines)', () => {
    const copied = buildContainerPlans({
      components: stackComponents,
      hostPort: (c, p) => ports.stack(c, p),
      configDir: (c) => `/state/config/${c}`,
      labels,
      configDelivery: 'copy',
    });
    expect(copied.every((p) => p.config.delivery === 'copy')).toBe(true);
  });
});

describe('container plan: Grafana, Loki, Tempo, LocalStack', () => {
  it('points Grafana’s data sources at the other containers by network alias and container port', () => {
    const g = byName('grafana');
    expect(g.env).toMatchObject({
      SANDBOX_PROMETHEUS_URL: 'http://prometheus:9090',
      SANDBOX_LOKI_URL: 'http://loki:3100',
      SANDBOX_TEMPO_URL: 'http://tempo:3200',
      SANDBOX_ALERTMANAGER_URL: 'http://alertmanager:9093',
      GF_SERVER_HTTP_ADDR: '0.0.0.0',
      GF_SERVER_HTTP_PORT: '3000',
      GF_PATHS_PROVISIONING: '/etc/grafana/provisioning',
      GF_SERVER_ROOT_URL: 'http://127.0.0.1:3100/',
    });
    // The image's /run.sh starts grafana with its own --homepath and --config: no arguments.
    expect(g.command).toEqual([]);
  });

  it('mounts the project’s dashboards into Grafana read-only, where provisioning looks', () => {
    const g = byName('grafana');
    expect(g.mounts).toEqual([{ source: expect.stringMatching(/\/dashboards$/), target: '/var/lib/grafana-dashboards' }]);
    expect(g.env.SANDBOX_DASHBOARDS_DIR).toBe('/var/lib/grafana-dashboards');
    expect(plans.filter((p) => p.name !== 'grafana').every((p) => p.mounts.length === 0)).toBe(true);
  });

  it('gives Loki and Tempo their listen address, ports and data dir through the environment', () => {
    expect(byName('loki').env).toEqual({ SANDBOX_LISTEN_HOST: '0.0.0.0', SANDBOX_DATA_DIR: '/loki', SANDBOX_PORT_HTTP: '3100', SANDBOX_PORT_GRPC: '9095' });
    expect(byName('loki').command).toEqual(['-config.file=/etc/loki/loki.yaml', '-config.expand-env=true']);
    expect(byName('tempo').env).toEqual({
      SANDBOX_LISTEN_HOST: '0.0.0.0',
      SANDBOX_DATA_DIR: '/var/tempo',
      SANDBOX_PORT_HTTP: '3200',
      SANDBOX_PORT_GRPC: '9096',
      SANDBOX_PORT_OTLP_GRPC: '4317',
      SANDBOX_PORT_OTLP_HTTP: '4318',
      SANDBOX_PORT_MEMBERLIST: '7946',
      SANDBOX_PROMETHEUS_ADDR: 'prometheus:9090',
    });
    // OTLP is published on the host (offset like every port) for the sample services' exporters.
    expect(byName('tempo').ports.find((p) => p.name === 'otlp-http')).toEqual({ name: 'otlp-http', container: 4318, host: 4418 });
  });

  const planFor = (hostEnv: NodeJS.ProcessEnv) =>
    buildContainerPlans({ components: stackComponents, hostPort: (c, p) => ports.stack(c, p), configDir: (c) => `/state/config/${c}`, labels, hostEnv }).find(
      (p) => p.name === 'localstack',
    )!;

  it('runs LocalStack 4.14.0 through its testcontainers module, with SNS, SQS, S3 and CloudWatch', () => {
    const ls = planFor({});
    expect(ls.image).toBe('localstack/localstack:4.14.0');
    expect(ls.module).toBe('localstack');
    expect(ls.env).toMatchObject({ SERVICES: 'sns,sqs,s3,cloudwatch', LOCALSTACK_HOST: 'localstack:4566' });
    expect(ls.env).not.toHaveProperty('LOCALSTACK_AUTH_TOKEN');
    expect(ls.wait).toEqual({ path: '/_localstack/health', port: 4566, timeoutMs: 90_000, headers: {} });
    expect(plans.filter((p) => p.name !== 'localstack').every((p) => p.module === 'generic')).toBe(true);
  });

  it('hands LOCALSTACK_AUTH_TOKEN through when set, and takes another image from SANDBOX_LOCALSTACK_IMAGE', () => {
    const ls = planFor({ LOCALSTACK_AUTH_TOKEN: 'ls-token', SANDBOX_LOCALSTACK_IMAGE: ' localstack/localstack:2026.08.0 ' });
    expect(ls.env.LOCALSTACK_AUTH_TOKEN).toBe('ls-token');
    expect(ls.image).toBe('localstack/localstack:2026.08.0');
    expect(planFor({ SANDBOX_LOCALSTACK_IMAGE: '', LOCALSTACK_AUTH_TOKEN: '' }).image).toBe('localstack/localstack:4.14.0');
    expect(planFor({ LOCALSTACK_AUTH_TOKEN: '' }).env).not.toHaveProperty('LOCALSTACK_AUTH_TOKEN');
  });
});
