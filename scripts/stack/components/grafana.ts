import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StackComponentSpec } from '../types.ts';

export const grafana: StackComponentSpec = {
  name: 'grafana',
  description: 'Dashboards and correlations: exemplars and logs → traces, traces → logs, service map',
  // Pinned: 13.2.0 (2026-08-18), the release grafana/docker-otel-lgtm bundles; Docker Hub
  // publishes grafana/grafana:<version> without a leading v.
  image: { name: 'grafana/grafana', tag: '13.2.0' },
  // `grafana` (with the `server` subcommand) since 10.x; `grafana-server` is the older name
  // that deb/rpm packages still ship as a wrapper.
  binaries: ['grafana', 'grafana-server'],
  installHint:
    'install Grafana from grafana.com/grafana/download (the standalone Linux tarball puts `bin/grafana` next to its `conf/`; the deb/rpm packages install under /usr/share/grafana), put `grafana` on PATH (or set SANDBOX_GRAFANA_HOME to the install directory), or use `--runtime docker`',
  ports: { http: 3000 },
  primaryPort: 'http',
  configSource: 'compose/grafana',
  containerConfigDir: '/etc/grafana',
  containerDataDir: '/var/lib/grafana',
  // In a container the image's /run.sh starts `grafana server --homepath --config
  // /etc/grafana/grafana.ini` itself and appends these arguments: none needed.
  args: (ctx) => {
    if (!ctx.binary) return [];
    const subcommand = basename(ctx.binary) === 'grafana-server' ? [] : ['server'];
    return [...subcommand, `--homepath=${grafanaHome(ctx.binary)}`, `--config=${ctx.configDir}/grafana.ini`];
  },
  env: (ctx) => ({
    // Environment overrides grafana.ini: the runtime's address and ports.
    GF_SERVER_HTTP_ADDR: ctx.listenHost,
    GF_SERVER_HTTP_PORT: String(ctx.port('http')),
    GF_SERVER_ROOT_URL: `${ctx.externalUrl}/`,
    GF_PATHS_DATA: ctx.dataDir,
    GF_PATHS_LOGS: `${ctx.dataDir}/log`,
    GF_PATHS_PLUGINS: `${ctx.dataDir}/plugins`,
    GF_PATHS_PROVISIONING: `${ctx.configDir}/provisioning`,
    GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: `${ctx.projectPath('dashboards')}/service-overview.json`,
    // Read by provisioning/datasources/sandbox.yaml and provisioning/dashboards/sandbox.yaml.
    SANDBOX_PROMETHEUS_URL: `http://${ctx.peer('prometheus')}`,
    SANDBOX_LOKI_URL: `http://${ctx.peer('loki')}`,
    SANDBOX_TEMPO_URL: `http://${ctx.peer('tempo')}`,
    SANDBOX_ALERTMANAGER_URL: `http://${ctx.peer('alertmanager')}`,
    SANDBOX_ALERTMANAGER_PASSWORD: ctx.stackPassword,
    SANDBOX_DASHBOARDS_DIR: ctx.projectPath('dashboards'),
  }),
  mounts: [{ source: 'dashboards', target: '/var/lib/grafana-dashboards' }],
  readiness: { port: 'http', path: '/api/health', timeoutMs: 60_000 },
  // After Prometheus (its default data source); Loki and Tempo start alongside.
  startOrder: 2,
  memoryMiB: 256,
  optional: true,
  dependsOn: ['prometheus'],
};

/**
 * Grafana needs its install directory (conf/defaults.ini, public/): SANDBOX_GRAFANA_HOME, else
 * the tarball layout (<home>/bin/grafana), Homebrew's (<prefix>/share/grafana), or the deb/rpm
 * one (/usr/share/grafana).
 */
export function grafanaHome(binary: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SANDBOX_GRAFANA_HOME) return env.SANDBOX_GRAFANA_HOME;
  let bin = binary;
  try {
    bin = realpathSync(binary);
  } catch {
    // Keep the given path; the candidates below still apply.
  }
  const candidates = [join(dirname(bin), '..'), join(dirname(bin), '..', 'share', 'grafana'), '/usr/share/grafana'];
  return candidates.find((c) => existsSync(join(c, 'conf', 'defaults.ini'))) ?? '/usr/share/grafana';
}

