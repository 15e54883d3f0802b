import type { StackComponentSpec } from '../types.ts';

export const alertmanager: StackComponentSpec = {
  name: 'alertmanager',
  description: 'Alert routing, grouping, inhibition and notification',
  // Pinned: latest release (2026-08-16); v0.28.1 was 17 months and six minors behind.
  image: { name: 'prom/alertmanager', tag: 'v0.34.0' },
  // Debian packages the upstream `alertmanager` binary as `prometheus-alertmanager`.
  binaries: ['alertmanager', 'prometheus-alertmanager'],
  installHint:
    'install Alertmanager (Debian/Ubuntu: `sudo apt-get install prometheus-alertmanager`; elsewhere a release from prometheus.io), or use `--runtime docker`',
  ports: { http: 9093 },
  primaryPort: 'http',
  configSource: 'compose/alertmanager',
  containerConfigDir: '/etc/alertmanager',
  containerDataDir: '/alertmanager',
  args: (ctx) => [
    `--config.file=${ctx.configDir}/alertmanager.yml`,
    `--storage.path=${ctx.dataDir}`,
    `--web.listen-address=${ctx.listenHost}:${ctx.port('http')}`,
    `--web.external-url=${ctx.externalUrl}`,
    // A single instance: an empty address turns cluster gossip (port 9094) off.
    '--cluster.listen-address=',
    '--log.format=json',
    // Basic auth on every route (web.yml, rendered per session: runtime/config/alertmanager-auth.ts).
    // Alertmanager has no switch for its lifecycle route (`POST /-/reload`) or its CORS
    // (`Access-Control-Allow-Origin: *`): the login is what keeps other users and web pages out.
    `--web.config.file=${ctx.configDir}/web.yml`,
  ],
  readiness: { port: 'http', path: '/-/ready', timeoutMs: 20_000, login: true },
  startOrder: 0,
  memoryMiB: 128,
};
