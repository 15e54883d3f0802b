import { readFileSync } from 'node:fs';
import { imageVariable } from '../../../scripts/runtime/docker/container-plan.ts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_FILE, COMPOSE_HOST, composeFileText } from '../../../scripts/stack/compose-file.ts';
import { sampleServiceNames, services, stackComponents } from '../../../scripts/stack/catalog.ts';

interface ComposeService {
  image: string;
  command?: string[];
  environment?: string[];
  ports: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  depends_on?: string[];
  extra_hosts: string[];
  mem_limit: string;
  labels: Record<string, string>;
}
const committed = readFileSync(COMPOSE_FILE, 'utf8');
const doc = parse(committed) as { services: Record<string, ComposeService>; configs: Record<string, { content: string }> };
const configFor = (service: string, target: string) => {
  const ref = doc.services[service]!.configs?.find((c) => c.target === target);
  return ref ? doc.configs[ref.source]!.content : undefined;
};

describe('compose/docker-compose.yml', () => {
  it('is what the generator makes from the catalog today', () => {
    // On failure: npx tsx scripts/stack/compose-file.ts --write, and commit the result.
    expect(committed).toBe(composeFileText());
  });

  it('says it is generated and how to regenerate it', () => {
    expect(committed.split('\n')[0]).toMatch(/^# GENERATED/);
    expect(committed).toContain('npx tsx scripts/stack/compose-file.ts --write');
  });

  it.each(stackComponents.map((c) => [c.name, c] as const))('%s: image, ports, memory, host access and labels from the catalog', (name, spec) => {
    const svc = doc.services[name]!;
    const pinned = `${spec.image.name}:${spec.image.tag}`;
    expect(svc.image).toBe(`\${${spec.imageEnv ?? imageVariable(spec.name)}:-${pinned}}`);
    expect(svc.ports.sort()).toEqual(Object.values(spec.ports).map((p) => `127.0.0.1:${p}:${p}`).sort());
    expect(svc.mem_limit).toBe(`${spec.memoryMiB}m`);
    expect(svc.extra_hosts).toContain(`${COMPOSE_HOST}:host-gateway`);
    expect(svc.labels['org.observability-sandbox.component']).toBe(name);
    // Config through a flag (-config.file or --config.file), or where the image looks by itself.
    if (svc.command) expect(svc.command.join(' ')).toMatch(new RegExp(`--?config\\.file=${spec.containerConfigDir}/`));
    // Every mount is read-only and comes from the component's own config directory, or from
    // the project directories the catalog names (Grafana's dashboards).
    const extra = (spec.mounts ?? []).map((m) => `../${m.source}:${m.target}:ro`);
    for (const v of svc.volumes ?? []) {
      if (extra.includes(v)) continue;
      expect(v).toMatch(new RegExp(`^\\./${name}/[^:]+:${spec.containerConfigDir}/[^:]+:ro$`));
    }
    for (const m of extra) expect(svc.volumes).toContain(m);
  });

  it('has Prometheus scrape Grafana, Loki and Tempo by network alias (docker runs them all)', () => {
    for (const name of ['grafana', 'loki', 'tempo']) {
      const spec = stackComponents.find((c) => c.name === name)!;
      const targets = JSON.parse(configFor('prometheus', `/etc/prometheus/targets/${name}.json`) ?? 'null');
      expect(targets, name).toEqual([{ targets: [`${name}:${spec.ports[spec.primaryPort]}`] }]);
    }
  });

  it('gives Grafana its data sources by network alias and the dashboards folder', () => {
    const env = doc.services.grafana!.environment!;
    expect(env).toContain('SANDBOX_PROMETHEUS_URL=http://prometheus:9090');
    expect(env).toContain('SANDBOX_TEMPO_URL=http://tempo:3200');
    expect(env).toContain('SANDBOX_DASHBOARDS_DIR=/var/lib/grafana-dashboards');
    expect(doc.services.grafana!.command).toBeUndefined();
  });

  it('hands LOCALSTACK_AUTH_TOKEN through from the shell, never a value', () => {
    const env = doc.services.localstack!.environment!;
    expect(env).toContain('LOCALSTACK_AUTH_TOKEN');
    expect(env.some((e) => e.startsWith('LOCALSTACK_AUTH_TOKEN='))).toBe(false);
    expect(doc.services.localstack!.image).toBe('${SANDBOX_LOCALSTACK_IMAGE:-localstack/localstack:4.14.0}');
  });

  it('starts components after those with a lower start order', () => {
    for (const spec of stackComponents) {
      const earlier = stackComponents.filter((c) => c.startOrder < spec.startOrder).map((c) => c.name);
      expect(doc.services[spec.name]!.depends_on ?? []).toEqual(earlier);
    }
  });

  it('points Prometheus at every sample service on the host, labelled service=<name>', () => {
    const targets = JSON.parse(configFor('prometheus', '/etc/prometheus/targets/sample-services.json')!) as { targets: string[]; labels: { service: string } }[];
    expect(targets.map((g) => g.labels.service).sort()).toEqual(sampleServiceNames().sort());
    for (const g of targets) {
      const port = services.find((s) => s.name === g.labels.service)!.port;
      expect(g.targets).toEqual([`${COMPOSE_HOST}:${port}`]);
    }
    const alertmanagers = JSON.parse(configFor('prometheus', '/etc/prometheus/targets/alertmanagers.json')!) as { targets: string[] }[];
    expect(alertmanagers).toEqual([{ targets: ['alertmanager:9093'] }]);
  });

  it('sends Alertmanager notifications to the host, never to the container itself', () => {
    const am = configFor('alertmanager', '/etc/alertmanager/alertmanager.yml')!;
    expect(am).not.toContain('127.0.0.1');
    for (const s of services.filter((x) => x.role === 'platform')) expect(am).toContain(`http://${COMPOSE_HOST}:${s.port}/`);
    // The compose copy replaces compose/alertmanager/alertmanager.yml, so it is not also mounted.
    expect(doc.services.alertmanager!.volumes ?? []).not.toContainEqual(expect.stringContaining('alertmanager.yml'));
  });

  it('keeps memory limits under 2.5 GiB in total', () => {
    const total = Object.values(doc.services).reduce((sum, s) => sum + Number.parseInt(s.mem_limit, 10), 0);
    expect(total).toBeLessThan(2.5 * 1024);
  });
});
