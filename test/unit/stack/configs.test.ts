import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildContainerPlans } from '../../../scripts/runtime/docker/container-plan.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { findStackComponent, portPlan, stackComponents } from '../../../scripts/stack/catalog.ts';
import type { LaunchContext, StackComponentSpec } from '../../../scripts/stack/types.ts';

const read = (rel: string) => readFileSync(join(PROJECT_ROOT, rel), 'utf8');
const spec = (name: string) => findStackComponent(name)!;

// --- Allow-lists, from the pinned versions' own documentation and source ----------------------

/**
 * Loki 3.7.6 top-level blocks: docs/sources/shared/configuration.md at tag v3.7.6 ("Configuration
 * file reference", grafana.com/docs/loki/v3.7.x/configure/), the "supported contents" block.
 */
const LOKI_TOP_LEVEL = new Set([
  'target', 'auth_enabled', 'ballast_bytes', 'server', 'ui', 'distributor', 'querier', 'query_engine', 'query_scheduler',
  'frontend', 'query_range', 'ruler', 'ruler_storage', 'ingester_client', 'ingester', 'pattern_ingester', 'index_gateway',
  'bloom_build', 'bloom_gateway', 'storage_config', 'chunk_store_config', 'schema_config', 'compactor', 'compactor_grpc_client',
  'limits_config', 'frontend_worker', 'table_manager', 'memberlist', 'kafka_config', 'dataobj', 'ingest_limits',
  'ingest_limits_frontend', 'ingest_limits_frontend_client', 'runtime_config', 'operational_config', 'tracing', 'analytics',
  'profiling', 'tenant_limits_allow_publish', 'common', 'shutdown_delay', 'metrics_namespace',
]);
/** Second-level keys this sandbox sets, each found in the same Loki 3.7.6 reference. */
const LOKI_NESTED: Record<string, string[]> = {
  server: ['http_listen_address', 'http_listen_port', 'grpc_listen_address', 'grpc_listen_port', 'log_format', 'log_level'],
  common: ['instance_addr', 'path_prefix', 'storage', 'replication_factor', 'ring'],
  schema_config: ['configs'],
  limits_config: ['allow_structured_metadata', 'reject_old_samples'],
  ingester: ['lifecycler'],
  pattern_ingester: ['lifecycler'],
  query_scheduler: ['use_scheduler_ring'],
  analytics: ['reporting_enabled'],
};

/**
 * Tempo 3.0.3 top-level blocks: the Config struct in cmd/tempo/app/config.go at tag v3.0.3 and the
 * manifest (docs/sources/tempo/configuration/manifest.md, grafana.com/docs/tempo/v3.0.x/configuration/manifest/).
 * metrics_generator_client is accepted there but deprecated; ingester and compactor are gone.
 */
const TEMPO_TOP_LEVEL = new Set([
  'target', 'auth_enabled', 'multitenancy_enabled', 'shutdown_delay', 'stream_over_http_enabled', 'http_api_prefix',
  'enable_go_runtime_metrics', 'span_profiling', 'memory', 'server', 'internal_server', 'distributor', 'live_store_client',
  'querier', 'query_frontend', 'metrics_generator', 'ingest', 'block_builder', 'storage', 'overrides', 'memberlist',
  'usage_report', 'cache', 'backend_scheduler', 'backend_scheduler_client', 'backend_worker', 'live_store',
]);
/** Tempo 3.0's upgrade guide: remove these blocks for monolithic mode ("Upgrade to Tempo 3.0"). */
const TEMPO_2X_ONLY = ['ingester', 'ingester_client', 'compactor', 'metrics_generator_client'];
const TEMPO_NESTED: Record<string, string[]> = {
  memory: ['automemlimit_enabled'],
  server: ['http_listen_address', 'http_listen_port', 'grpc_listen_address', 'grpc_listen_port', 'log_format', 'log_level'],
  distributor: ['ring', 'receivers'],
  memberlist: ['bind_addr', 'bind_port', 'abort_if_cluster_join_fails'],
  querier: ['frontend_worker'],
  query_frontend: ['query_end_cutoff'],
  live_store: ['ring', 'wal', 'shutdown_marker_dir'],
  backend_scheduler: ['local_work_path'],
  backend_worker: ['ring'],
  block_builder: ['wal'],
  metrics_generator: ['ring', 'registry', 'processor', 'storage'],
  storage: ['trace'],
  overrides: ['defaults'],
  usage_report: ['reporting_enabled'],
};

/**
 * Grafana 13 settings: sections and keys of conf/defaults.ini (grafana/grafana) and "Configure
 * Grafana" (grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/); only the ones this
 * sandbox sets are listed, each checked there.
 */
const GRAFANA_INI: Record<string, string[]> = {
  server: ['http_addr', 'http_port', 'enable_gzip'],
  analytics: ['reporting_enabled', 'check_for_updates', 'check_for_plugin_updates', 'feedback_links_enabled'],
  news: ['news_feed_enabled'],
  security: ['disable_gravatar'],
  users: ['allow_sign_up', 'default_theme'],
  'auth.anonymous': ['enabled', 'org_name', 'org_role'],
  dashboards: ['min_refresh_interval'],
  log: ['mode', 'level'],
  'log.console': ['format'],
  unified_alerting: ['enabled'],
};

// --- Helpers --------------------------------------------------------------------------------

/** A minimal INI reader for Grafana's format: `[section]`, `key = value`, `;`/`#` comments. */
function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = { '': {} };
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const header = /^\[([\w.]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      if (out[section]) throw new Error(`line ${i + 1}: section [${section}] twice`);
      out[section] = {};
      return;
    }
    const kv = /^([\w.]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new Error(`line ${i + 1}: not INI: ${raw}`);
    if (kv[1]! in out[section]!) throw new Error(`line ${i + 1}: ${kv[1]} twice in [${section}]`);
    out[section]![kv[1]!] = kv[2]!;
  });
  return out;
}

/** ${VAR} references outside comment lines (not $${...}, Grafana's escape for a literal `$`). */
function envReferences(text: string): string[] {
  const code = text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n');
  return [...new Set([...code.matchAll(/(?<!\$)\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

function expand(text: string, env: Record<string, string>): string {
  return text.replace(/(?<!\$)\$\{(\w+)\}/g, (_m, name: string) => {
    if (!(name in env)) throw new Error(`\${${name}} is not set`);
    return env[name]!;
  });
}

/** The environment a component gets natively, at a port offset, as the native runtime builds it. */
function nativeEnv(s: StackComponentSpec, offset = 1000): Record<string, string> {
  const ports = portPlan(offset);
  const ctx: LaunchContext = {
    stackPassword: 'session-token',
    configDir: `/state/config/${s.name}`,
    dataDir: `/state/data/${s.name}`,
    listenHost: '127.0.0.1',
    port: (n) => ports.stack(s.name, n),
    externalUrl: `http://127.0.0.1:${ports.stack(s.name)}`,
    peer: (c, p) => `127.0.0.1:${ports.stack(c, p)}`,
    projectPath: (rel) => join(PROJECT_ROOT, rel),
    binary: `/usr/bin/${s.binaries[0] ?? s.name}`,
  };
  return s.env?.(ctx) ?? {};
}

const dockerPlans = buildContainerPlans({
  components: stackComponents,
  hostPort: (c, p) => portPlan(1000).stack(c, p),
  configDir: (c) => `/state/config/${c}`,
  labels: {},
  hostEnv: {},
});
const dockerEnv = (name: string) => dockerPlans.find((p) => p.name === name)!.env;

function keysOutside(doc: Record<string, unknown>, allowed: Set<string>): string[] {
  return Object.keys(doc).filter((k) => !allowed.has(k));
}

function nestedOutside(doc: Record<string, unknown>, nested: Record<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [block, value] of Object.entries(doc)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const allowed = nested[block];
    if (!allowed) {
      bad.push(`${block}: no reviewed keys (add them to the allow-list from the docs)`);
      continue;
    }
    for (const k of Object.keys(value)) if (!allowed.includes(k)) bad.push(`${block}.${k}`);
  }
  return bad;
}

// --- Loki -----------------------------------------------------------------------------------

describe('compose/loki/loki.yaml (Loki 3.7)', () => {
  const text = read('compose/loki/loki.yaml');
  const doc = parse(expand(text, dockerEnv('loki'))) as Record<string, any>;

  it('uses only options the pinned Loki documents', () => {
    expect(spec('loki').image.tag).toMatch(/^3\.7\./);
    expect(keysOutside(doc, LOKI_TOP_LEVEL)).toEqual([]);
    expect(nestedOutside(doc, LOKI_NESTED)).toEqual([]);
  });

  it('indexes with TSDB and schema v13 and allows structured metadata (trace_id on OTLP logs)', () => {
    expect(doc.schema_config.configs).toHaveLength(1);
    expect(doc.schema_config.configs[0]).toMatchObject({ store: 'tsdb', schema: 'v13', object_store: 'filesystem', index: { period: '24h' } });
    expect(doc.limits_config.allow_structured_metadata).toBe(true);
    expect(doc.auth_enabled).toBe(false);
  });

  it('starts fast: 1 s minimum ready wait; frontend v1 without a scheduler, so no frontend v2 settings', () => {
    expect(doc.ingester.lifecycler.min_ready_duration).toBe('1s');
    expect(doc.pattern_ingester.lifecycler.min_ready_duration).toBe('1s');
    // Without a ring or scheduler address Loki 3.7 runs query frontend v1 (see the file's comment);
    // frontend v2's options would do nothing there.
    expect(doc.query_scheduler.use_scheduler_ring).toBe(false);
    expect(doc.frontend?.scheduler_address).toBeUndefined();
    expect(doc.frontend_worker?.scheduler_address).toBeUndefined();
    expect(doc).not.toHaveProperty('frontend');
  });

  it('gets every ${VAR} it reads from the catalog, in both runtimes, and listens where each runtime says', () => {
    const refs = envReferences(text);
    expect(refs).toEqual(['SANDBOX_DATA_DIR', 'SANDBOX_LISTEN_HOST', 'SANDBOX_PORT_GRPC', 'SANDBOX_PORT_HTTP']);
    const native = parse(expand(text, nativeEnv(spec('loki')))) as Record<string, any>;
    expect(native.server).toMatchObject({ http_listen_address: '127.0.0.1', http_listen_port: 4100, grpc_listen_address: '127.0.0.1', grpc_listen_port: 10095 });
    expect(native.common.path_prefix).toBe('/state/data/loki');
    expect(doc.server).toMatchObject({ http_listen_address: '0.0.0.0', http_listen_port: 3100, grpc_listen_port: 9095 });
    expect(doc.common.storage.filesystem.chunks_directory).toBe('/loki/chunks');
  });

  it('is started with env expansion on', () => {
    expect(dockerPlans.find((p) => p.name === 'loki')!.command).toContain('-config.expand-env=true');
  });
});

// --- Tempo ----------------------------------------------------------------------------------

describe('compose/tempo/tempo.yaml (Tempo 3.0, monolithic)', () => {
  const text = read('compose/tempo/tempo.yaml');
  const doc = parse(expand(text, dockerEnv('tempo'))) as Record<string, any>;

  it('is pinned to Tempo 3 and uses only its documented blocks, none of the 2.x-only ones', () => {
    expect(spec('tempo').image.tag).toMatch(/^3\./);
    expect(keysOutside(doc, TEMPO_TOP_LEVEL)).toEqual([]);
    expect(nestedOutside(doc, TEMPO_NESTED)).toEqual([]);
    for (const block of TEMPO_2X_ONLY) expect(doc).not.toHaveProperty(block);
    // No Kafka in monolithic mode.
    expect(doc).not.toHaveProperty('ingest');
  });

  it('searches up to now: query_end_cutoff off (3.0 defaults it to 30s, which hid a scenario’s own traces)', () => {
    expect(doc.query_frontend).toEqual({ query_end_cutoff: '0s' });
    expect(doc.target).toBe('all');
  });

  it('serves HTTP on 3200 and binds OTLP gRPC 4317 / HTTP 4318 to 0.0.0.0 in a container', () => {
    expect(doc.server.http_listen_port).toBe(3200);
    expect(doc.distributor.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } });
    expect(spec('tempo').ports).toMatchObject({ http: 3200, 'otlp-grpc': 4317, 'otlp-http': 4318 });
  });

  it('binds everything to loopback natively, on the sandbox’s offset ports', () => {
    const native = parse(expand(text, nativeEnv(spec('tempo')))) as Record<string, any>;
    expect(native.server).toMatchObject({ http_listen_address: '127.0.0.1', http_listen_port: 4200, grpc_listen_address: '127.0.0.1', grpc_listen_port: 10096 });
    expect(native.distributor.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '127.0.0.1:5317' }, http: { endpoint: '127.0.0.1:5318' } });
    expect(native.memberlist).toMatchObject({ bind_addr: ['127.0.0.1'], bind_port: 8946 });
    expect(native.querier.frontend_worker.frontend_address).toBe('127.0.0.1:10096');
    expect(native.metrics_generator.storage.remote_write[0].url).toBe('http://127.0.0.1:10090/api/v1/write');
    // Every path under the sandbox's data dir: natively /var/tempo is not ours to write.
    expect(expand(text, nativeEnv(spec('tempo')))).not.toMatch(/\/var\/tempo/);
  });

  it('remote-writes service-graph and span metrics with exemplars to Prometheus by its network alias', () => {
    expect(doc.metrics_generator.storage.remote_write).toEqual([{ url: 'http://prometheus:9090/api/v1/write', send_exemplars: true }]);
    expect(doc.overrides.defaults.metrics_generator.processors.sort()).toEqual(['service-graphs', 'span-metrics']);
    // Tempo 3 refuses legacy flat overrides.
    expect(Object.keys(doc.overrides)).toEqual(['defaults']);
    // Prometheus takes the remote write and keeps the exemplars.
    const prom = spec('prometheus').args({ configDir: '/c', dataDir: '/d', listenHost: 'h', port: () => 1, externalUrl: 'u', peer: () => 'p', projectPath: (r) => r, stackPassword: '' });
    expect(prom).toContain('--web.enable-remote-write-receiver');
    expect(prom).toContain('--enable-feature=exemplar-storage');
  });

  it('gets every ${VAR} it reads from the catalog', () => {
    expect(envReferences(text)).toEqual(
      ['SANDBOX_DATA_DIR', 'SANDBOX_LISTEN_HOST', 'SANDBOX_PORT_GRPC', 'SANDBOX_PORT_HTTP', 'SANDBOX_PORT_MEMBERLIST', 'SANDBOX_PORT_OTLP_GRPC', 'SANDBOX_PORT_OTLP_HTTP', 'SANDBOX_PROMETHEUS_ADDR'].sort(),
    );
    expect(dockerPlans.find((p) => p.name === 'tempo')!.command).toEqual(['-config.file=/etc/tempo/tempo.yaml', '-config.expand-env=true']);
  });
});

// --- Grafana --------------------------------------------------------------------------------

describe('compose/grafana (Grafana 13)', () => {
  const ini = parseIni(read('compose/grafana/grafana.ini'));
  const datasourcesText = read('compose/grafana/provisioning/datasources/sandbox.yaml');
  const providersText = read('compose/grafana/provisioning/dashboards/sandbox.yaml');
  const ds = parse(datasourcesText) as { apiVersion: number; datasources: Record<string, any>[] };
  const byUid = (uid: string) => ds.datasources.find((d) => d.uid === uid)!;

  it('grafana.ini parses and sets only documented sections and keys', () => {
    expect(Object.keys(ini[''] ?? {})).toEqual([]);
    for (const [section, keys] of Object.entries(ini)) {
      if (section === '') continue;
      expect(GRAFANA_INI, `[${section}]`).toHaveProperty([section]);
      for (const k of Object.keys(keys)) expect(GRAFANA_INI[section], `[${section}] ${k}`).toContain(k);
    }
  });

  it('lets anonymous visitors look (Viewer) and sends nothing out', () => {
    expect(ini['auth.anonymous']).toEqual({ enabled: 'true', org_name: 'Main Org.', org_role: 'Viewer' });
    expect(ini.users!.allow_sign_up).toBe('false');
    expect(ini.analytics).toMatchObject({ reporting_enabled: 'false', check_for_updates: 'false' });
  });

  it('binds to loopback natively and to every interface in a container, through GF_ variables', () => {
    const native = nativeEnv(spec('grafana'));
    expect(native).toMatchObject({ GF_SERVER_HTTP_ADDR: '127.0.0.1', GF_SERVER_HTTP_PORT: '4000', GF_PATHS_PROVISIONING: '/state/config/grafana/provisioning', GF_PATHS_DATA: '/state/data/grafana' });
    expect(dockerEnv('grafana')).toMatchObject({ GF_SERVER_HTTP_ADDR: '0.0.0.0', GF_SERVER_HTTP_PORT: '3000' });
    // The file's own default is loopback too, should it ever run without the environment.
    expect(ini.server!.http_addr).toBe('127.0.0.1');
  });

  it('provisions Prometheus, Loki, Tempo and Alertmanager under fixed uids', () => {
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources.map((d) => [d.uid, d.type])).toEqual([
      ['prometheus', 'prometheus'],
      ['loki', 'loki'],
      ['tempo', 'tempo'],
      ['alertmanager', 'alertmanager'],
    ]);
    expect(ds.datasources.filter((d) => d.isDefault).map((d) => d.uid)).toEqual(['prometheus']);
  });

  it('correlates: exemplars and log trace_ids to Tempo, traces to Loki and to the service map', () => {
    expect(byUid('prometheus').jsonData.exemplarTraceIdDestinations).toEqual([expect.objectContaining({ name: 'trace_id', datasourceUid: 'tempo' })]);
    const derived = byUid('loki').jsonData.derivedFields as Record<string, string>[];
    expect(derived.find((f) => f.name === 'trace_id')).toMatchObject({ matcherType: 'label', matcherRegex: 'trace_id', datasourceUid: 'tempo' });
    const inLine = derived.find((f) => f.matcherType === 'regex')!;
    expect(new RegExp(inLine.matcherRegex!).exec('{"level":"info","trace_id":"0af7651916cd43dd8448eb211c80319c","msg":"x"}')?.[1]).toBe('0af7651916cd43dd8448eb211c80319c');
    const tempo = byUid('tempo').jsonData;
    expect(tempo.tracesToLogsV2).toMatchObject({ datasourceUid: 'loki' });
    expect(tempo.serviceMap).toEqual({ datasourceUid: 'prometheus' });
    expect(tempo.nodeGraph).toEqual({ enabled: true });
    expect(byUid('alertmanager').jsonData).toMatchObject({ implementation: 'prometheus' });
    // The sandbox's Alertmanager asks for a login: Grafana's proxy gives it.
    expect(byUid('alertmanager')).toMatchObject({ basicAuth: true, basicAuthUser: 'sandbox', secureJsonData: { basicAuthPassword: '${SANDBOX_ALERTMANAGER_PASSWORD}' } });
  });

  it('escapes Grafana’s own ${__…} templates as $${…}, so provisioning does not read them as env vars', () => {
    expect(datasourcesText).not.toMatch(/(?<!\$)\$\{__/);
    expect(datasourcesText).toContain('$${__value.raw}');
    expect(datasourcesText).toContain('$${__trace.traceId}');
  });

  it('gets every ${VAR} of its provisioning from the catalog, in both runtimes', () => {
    const refs = [...envReferences(datasourcesText), ...envReferences(providersText)];
    expect(refs.sort()).toEqual(['SANDBOX_ALERTMANAGER_PASSWORD', 'SANDBOX_ALERTMANAGER_URL', 'SANDBOX_DASHBOARDS_DIR', 'SANDBOX_LOKI_URL', 'SANDBOX_PROMETHEUS_URL', 'SANDBOX_TEMPO_URL']);
    const native = nativeEnv(spec('grafana'));
    const docker = dockerEnv('grafana');
    for (const r of refs) {
      expect(native, r).toHaveProperty(r);
      expect(docker, r).toHaveProperty(r);
    }
    // Natively peers are 127.0.0.1 and the sandbox's offset ports; in a container, network aliases.
    expect(native).toMatchObject({
      SANDBOX_PROMETHEUS_URL: 'http://127.0.0.1:10090',
      SANDBOX_LOKI_URL: 'http://127.0.0.1:4100',
      SANDBOX_TEMPO_URL: 'http://127.0.0.1:4200',
      SANDBOX_ALERTMANAGER_URL: 'http://127.0.0.1:10093',
      SANDBOX_ALERTMANAGER_PASSWORD: 'session-token',
      SANDBOX_DASHBOARDS_DIR: join(PROJECT_ROOT, 'dashboards'),
    });
    expect(docker).toMatchObject({ SANDBOX_PROMETHEUS_URL: 'http://prometheus:9090', SANDBOX_DASHBOARDS_DIR: '/var/lib/grafana-dashboards' });
  });

  it('provisions the dashboards folder as files, read-only from the UI', () => {
    const providers = (parse(providersText) as { providers: Record<string, any>[] }).providers;
    expect(providers).toEqual([
      expect.objectContaining({ type: 'file', allowUiUpdates: false, options: expect.objectContaining({ path: '${SANDBOX_DASHBOARDS_DIR}' }) }),
    ]);
  });
});
