import type { StackComponentSpec } from '../types.ts';

export const prometheus: StackComponentSpec = {
  name: 'prometheus',
  description: 'Metrics, rule evaluation and alerting',
  // Pinned: latest 3.x release (2026-08-17); its git tag and the Docker Hub image prom/prometheus:v3.14.0 exist.
  image: { name: 'prom/prometheus', tag: 'v3.14.0' },
  binaries: ['prometheus'],
  installHint:
    'install Prometheus (Debian/Ubuntu: `sudo apt-get install prometheus`; elsewhere a release from prometheus.io), or use `--runtime docker`',
  ports: { http: 9090 },
  primaryPort: 'http',
  configSource: 'compose/prometheus',
  containerConfigDir: '/etc/prometheus',
  containerDataDir: '/prometheus',
  args: (ctx) => [
    `--config.file=${ctx.configDir}/prometheus.yml`,
    `--storage.tsdb.path=${ctx.dataDir}`,
    `--web.listen-address=${ctx.listenHost}:${ctx.port('http')}`,
    `--web.external-url=${ctx.externalUrl}`,
    // /-/reload lets a scenario load its own rule files without a restart.
    '--web.enable-lifecycle',
    // Scenarios start from an empty TSDB (delete_series between runs), so they stay independent.
    '--web.enable-admin-api',
    // Exemplars carry trace ids from the HTTP histogram to Tempo.
    '--enable-feature=exemplar-storage',
    // Tempo's metrics-generator remote-writes service-graph metrics here.
    '--web.enable-remote-write-receiver',
    '--storage.tsdb.retention.time=6h',
    '--log.format=json',
  ],
  readiness: { port: 'http', path: '/-/ready', timeoutMs: 20_000 },
  startOrder: 1,
  memoryMiB: 512,
};
