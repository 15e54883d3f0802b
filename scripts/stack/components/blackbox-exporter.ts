import type { StackComponentSpec } from '../types.ts';

export const blackboxExporter: StackComponentSpec = {
  name: 'blackbox-exporter',
  description: 'Synthetic probes of the api-gateway’s public endpoints',
  // Pinned: v0.28.0, the newest release seen in current reference stacks.
  image: { name: 'prom/blackbox-exporter', tag: 'v0.28.0' },
  // Debian packages the upstream `blackbox_exporter` as `prometheus-blackbox-exporter`.
  binaries: ['blackbox_exporter', 'prometheus-blackbox-exporter'],
  installHint:
    'install the blackbox exporter (Debian/Ubuntu: `sudo apt-get install prometheus-blackbox-exporter`; elsewhere a release from prometheus.io), or use `--runtime docker`',
  ports: { http: 9115 },
  primaryPort: 'http',
  configSource: 'compose/blackbox-exporter',
  containerConfigDir: '/etc/blackbox_exporter',
  containerDataDir: '/tmp/blackbox',
  args: (ctx) => [
    `--config.file=${ctx.configDir}/blackbox.yml`,
    `--web.listen-address=${ctx.listenHost}:${ctx.port('http')}`,
    `--web.external-url=${ctx.externalUrl}`,
    '--log.format=json',
  ],
  readiness: { port: 'http', path: '/-/healthy', timeoutMs: 20_000 },
  startOrder: 0,
  memoryMiB: 64,
  // Probes add a signal; the sandbox is still useful without them.
  optional: true,
};
