import type { StackComponentSpec } from '../types.ts';
import { listenEnv } from './listen-env.ts';

const ports = { http: 3100, grpc: 9095 } as const;

export const loki: StackComponentSpec = {
  name: 'loki',
  description: 'Logs: push API and native OTLP ingestion, structured metadata (trace_id)',
  // Pinned: v3.7.6, the newest 3.7 tag in grafana/loki (2026-08) and the release
  // grafana/docker-otel-lgtm bundles; the image tag has no leading v.
  image: { name: 'grafana/loki', tag: '3.7.6' },
  binaries: ['loki', 'loki-linux-amd64', 'loki-linux-arm64'],
  installHint:
    'download a Loki release binary from github.com/grafana/loki/releases (loki-linux-amd64.zip), put it on PATH as `loki`, or use `--runtime docker`',
  // gRPC: the single binary's components talk to each other over it, so it gets the
  // sandbox's port offset like the rest (parallel sandboxes), on loopback natively.
  ports,
  primaryPort: 'http',
  configSource: 'compose/loki',
  containerConfigDir: '/etc/loki',
  containerDataDir: '/loki',
  args: (ctx) => [`-config.file=${ctx.configDir}/loki.yaml`, '-config.expand-env=true'],
  env: (ctx) => listenEnv(ctx, ports),
  readiness: { port: 'http', path: '/ready', timeoutMs: 60_000 },
  startOrder: 2,
  memoryMiB: 320,
  optional: true,
};
