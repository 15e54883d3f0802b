import type { StackComponentSpec } from '../types.ts';
import { listenEnv } from './listen-env.ts';

const ports = { http: 3200, grpc: 9096, 'otlp-grpc': 4317, 'otlp-http': 4318, memberlist: 7946 } as const;

export const tempo: StackComponentSpec = {
  name: 'tempo',
  description: 'Traces over OTLP; metrics-generator remote-writes service-graph and span metrics to Prometheus',
  // Pinned: 3.0.3 (2026-08), the major compose/tempo/tempo.yaml is written for (3.0 removed the
  // 2.x ingester/compactor blocks); grafana/tempo's own example compose runs grafana/tempo:3.0.3.
  image: { name: 'grafana/tempo', tag: '3.0.3' },
  binaries: ['tempo', 'tempo-linux-amd64', 'tempo-linux-arm64'],
  installHint:
    'download a Tempo 3.x release binary from github.com/grafana/tempo/releases (tempo_<version>_linux_amd64.tar.gz), put `tempo` on PATH, or use `--runtime docker` (a 2.x binary does not read compose/tempo/tempo.yaml)',
  // http: API and readiness (set explicitly; Tempo's default is 3200 too). grpc (default 9095,
  // moved off Loki's) and memberlist are internal to the single binary but get the sandbox's
  // port offset like everything else. OTLP: what the sample services export traces to.
  ports,
  primaryPort: 'http',
  configSource: 'compose/tempo',
  containerConfigDir: '/etc/tempo',
  containerDataDir: '/var/tempo',
  args: (ctx) => [`-config.file=${ctx.configDir}/tempo.yaml`, '-config.expand-env=true'],
  env: (ctx) => ({ ...listenEnv(ctx, ports), SANDBOX_PROMETHEUS_ADDR: ctx.peer('prometheus') }),
  readiness: { port: 'http', path: '/ready', timeoutMs: 60_000 },
  startOrder: 2,
  memoryMiB: 320,
  optional: true,
  dependsOn: ['prometheus'],
};
