import type { LaunchContext, StackComponentSpec } from '../types.ts';
import { grafana } from './grafana.ts';

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
    // No --web.enable-lifecycle and no --web.enable-admin-api: any web page could POST to them
    // (no preflight). The sandbox reloads rule files with SIGHUP and forgets history between
    // scenarios by restarting on an empty TSDB, both through the runtime that owns the process
    // (runtime/stack-actions.ts, behind the control API's token).
    // CORS for Grafana's page only (its data sources use proxy access, so nothing else needs it);
    // the default, `.*`, answers every origin.
    `--web.cors.origin=${grafanaOriginPattern(ctx)}`,
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

/**
 * Grafana's origin as a browser sees it, as a fully anchored RE2 pattern for --web.cors.origin:
 * Prometheus' own host (127.0.0.1 also as localhost) and Grafana's port, moved by the same
 * port offset as Prometheus' (valid for Prometheus 2.x and 3.x).
 */
export function grafanaOriginPattern(ctx: Pick<LaunchContext, 'externalUrl'>): string {
  // A context without a real URL (a catalog check) gets the default ports' origin.
  const url = new URL(URL.canParse(ctx.externalUrl) ? ctx.externalUrl : `http://127.0.0.1:${prometheus.ports.http}`);
  const offset = Number(url.port || 80) - prometheus.ports.http!;
  const port = grafana.ports.http! + offset;
  const host = url.hostname.replace(/[.[\]]/g, (c) => `\\${c}`);
  const hosts = url.hostname === '127.0.0.1' || url.hostname === 'localhost' ? '(127\\.0\\.0\\.1|localhost)' : host;
  return `http://${hosts}:${port}`;
}
