import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findStackComponent, isUsableOffset, nextUsableOffset, portPlan, stackComponents } from '../../../scripts/stack/catalog.ts';
import { grafanaHome } from '../../../scripts/stack/components/grafana.ts';
import type { LaunchContext } from '../../../scripts/stack/types.ts';

const spec = (name: string) => findStackComponent(name)!;
const ctx = (overrides: Partial<LaunchContext> = {}): LaunchContext => ({
  configDir: '/cfg',
  dataDir: '/data',
  listenHost: '127.0.0.1',
  port: (n) => spec('tempo').ports[n] ?? 3000,
  externalUrl: 'http://127.0.0.1:3000',
  peer: (c) => `127.0.0.1:${portPlan(0).stack(c)}`,
  projectPath: (r) => `/project/${r}`,
  stackPassword: '',
  ...overrides,
});

describe('catalog: the observability backends', () => {
  it.each([
    // name, image, tag, primary port, readiness path
    ['grafana', 'grafana/grafana', '13.2.0', 3000, '/api/health'],
    ['loki', 'grafana/loki', '3.7.6', 3100, '/ready'],
    ['tempo', 'grafana/tempo', '3.0.3', 3200, '/ready'],
    ['localstack', 'localstack/localstack', '4.14.0', 4566, '/_localstack/health'],
  ] as const)('%s: pinned %s:%s, port %d, ready at %s, optional', (name, image, tag, port, path) => {
    const s = spec(name);
    expect(s.image).toEqual({ name: image, tag });
    expect(s.ports[s.primaryPort]).toBe(port);
    expect(s.readiness).toMatchObject({ port: s.primaryPort, path });
    expect(s.optional).toBe(true);
    expect(s.installHint.length).toBeGreaterThan(40);
  });

  it('keeps every container’s memory limit set and the sum under 2.5 GiB', () => {
    const limits = Object.fromEntries(stackComponents.map((c) => [c.name, c.memoryMiB]));
    // The brief's budget for the components that were there first.
    expect(limits).toMatchObject({ prometheus: 512, alertmanager: 128, 'blackbox-exporter': 64 });
    for (const [name, mib] of Object.entries(limits)) expect(mib, name).toBeGreaterThanOrEqual(64);
    const total = Object.values(limits).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(2.5 * 1024);
    expect(total).toBe(512 + 128 + 64 + 320 + 320 + 256 + 640);
  });

  it('exposes Tempo’s OTLP gRPC 4317 and HTTP 4318 and its HTTP port 3200 explicitly', () => {
    expect(spec('tempo').ports).toMatchObject({ http: 3200, 'otlp-grpc': 4317, 'otlp-http': 4318 });
  });

  it('refuses an offset that puts a port on a fetch "bad port", naming it and a usable offset', () => {
    // 4566 + 2000 = 6566 and 8080 + 2000 = 10080: Node's fetch answers "bad port" for both.
    expect(() => portPlan(2000)).toThrow(/^port offset 2000 puts localstack \(http\) on port 6566 and api-gateway on port 10080, which fetch\(\) refuses/);
    expect(isUsableOffset(2000)).toBe(false);
    expect(isUsableOffset(0)).toBe(true);
    const next = nextUsableOffset(2000, 50);
    expect(next).toBeGreaterThan(2000);
    expect(next % 50).toBe(0);
    expect(() => portPlan(next)).not.toThrow();
  });

  it('gives every port of the sandbox a distinct number', () => {
    const all = portPlan(0).all().map((p) => p.port);
    expect(new Set(all).size).toBe(all.length);
  });

  it('reserves ml-service’s scale-out replica ports in the plan, clear of other sandboxes’ ports', () => {
    expect(portPlan(0).replicas('ml-service')).toEqual([
      { instance: 'ml-service-2', index: 2, port: 8082 },
      { instance: 'ml-service-3', index: 3, port: 8083 },
    ]);
    expect(portPlan(1000).replicas('ml-service').map((r) => r.port)).toEqual([9082, 9083]);
    expect(portPlan(0).replicas('api-gateway')).toEqual([]);
    const all = portPlan(0).all();
    expect(all).toContainEqual({ owner: 'ml-service-2', port: 8082 });
    expect(all).toContainEqual({ owner: 'ml-service-3', port: 8083 });
    // Parallel shards step offsets by 50 and isolated tests by 100: a replica port shares no
    // remainder modulo 50 with any other port, so it is never another sandbox's port.
    for (const r of portPlan(0).replicas('ml-service')) {
      expect(all.filter((p) => p.owner !== r.instance && p.port % 50 === r.port % 50), r.instance).toEqual([]);
    }
  });

  it('starts the backends after Prometheus, so none of them delays its start', () => {
    for (const name of ['grafana', 'loki', 'tempo', 'localstack']) expect(spec(name).startOrder).toBeGreaterThan(spec('prometheus').startOrder);
  });

  it('says LocalStack is docker-only, and how to get the others natively', () => {
    expect(spec('localstack').dockerOnly).toBe(true);
    expect(spec('localstack').binaries).toEqual([]);
    expect(spec('localstack').installHint).toMatch(/docker runtime/);
    expect(spec('grafana').installHint).toMatch(/grafana\.com/);
    expect(spec('loki').installHint).toMatch(/github\.com\/grafana\/loki\/releases/);
    expect(spec('tempo').installHint).toMatch(/github\.com\/grafana\/tempo\/releases/);
  });

  it('passes LOCALSTACK_AUTH_TOKEN through and lets SANDBOX_LOCALSTACK_IMAGE pick the image', () => {
    expect(spec('localstack').passEnv).toEqual(['LOCALSTACK_AUTH_TOKEN']);
    expect(spec('localstack').imageEnv).toBe('SANDBOX_LOCALSTACK_IMAGE');
    expect(spec('localstack').env!(ctx({ peer: () => 'localstack:4566' }))).toMatchObject({ SERVICES: 'sns,sqs,s3,cloudwatch' });
  });
});

describe('Grafana natively', () => {
  it('runs `grafana server` with its install dir and the rendered grafana.ini, or `grafana-server` without the subcommand', () => {
    const home = mkdtempSync(join(tmpdir(), 'grafana-home-'));
    mkdirSync(join(home, 'conf'));
    mkdirSync(join(home, 'bin'));
    writeFileSync(join(home, 'conf', 'defaults.ini'), '');
    writeFileSync(join(home, 'bin', 'grafana'), '', { mode: 0o755 });
    expect(spec('grafana').args(ctx({ binary: join(home, 'bin', 'grafana') }))).toEqual(['server', `--homepath=${join(home, 'bin', '..')}`, '--config=/cfg/grafana.ini']);
    expect(spec('grafana').args(ctx({ binary: join(home, 'bin', 'grafana-server') }))[0]).toMatch(/^--homepath=/);
    // In a container the image's /run.sh does it all.
    expect(spec('grafana').args(ctx())).toEqual([]);
  });

  it('finds the install dir through a symlink on PATH, Homebrew’s layout, or SANDBOX_GRAFANA_HOME', () => {
    const root = mkdtempSync(join(tmpdir(), 'grafana-layouts-'));
    const tarball = join(root, 'grafana-v13.2.0');
    mkdirSync(join(tarball, 'conf'), { recursive: true });
    mkdirSync(join(tarball, 'bin'));
    writeFileSync(join(tarball, 'conf', 'defaults.ini'), '');
    writeFileSync(join(tarball, 'bin', 'grafana'), '', { mode: 0o755 });
    mkdirSync(join(root, 'path'));
    symlinkSync(join(tarball, 'bin', 'grafana'), join(root, 'path', 'grafana'));
    expect(grafanaHome(join(root, 'path', 'grafana'), {})).toBe(join(tarball, 'bin', '..'));
    const brew = join(root, 'brew');
    mkdirSync(join(brew, 'share', 'grafana', 'conf'), { recursive: true });
    mkdirSync(join(brew, 'bin'));
    writeFileSync(join(brew, 'share', 'grafana', 'conf', 'defaults.ini'), '');
    expect(grafanaHome(join(brew, 'bin', 'grafana'), {})).toBe(join(brew, 'bin', '..', 'share', 'grafana'));
    expect(grafanaHome('/nowhere/grafana', { SANDBOX_GRAFANA_HOME: '/opt/grafana' })).toBe('/opt/grafana');
    expect(grafanaHome('/nowhere/grafana', {})).toBe('/usr/share/grafana');
  });

  it('listens on loopback and reaches its data sources at 127.0.0.1 natively', () => {
    const env = spec('grafana').env!(ctx({ binary: '/usr/bin/grafana', port: () => 3000 }));
    expect(env.GF_SERVER_HTTP_ADDR).toBe('127.0.0.1');
    for (const k of ['SANDBOX_PROMETHEUS_URL', 'SANDBOX_LOKI_URL', 'SANDBOX_TEMPO_URL', 'SANDBOX_ALERTMANAGER_URL']) expect(env[k]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.SANDBOX_DASHBOARDS_DIR).toBe('/project/dashboards');
  });
});
