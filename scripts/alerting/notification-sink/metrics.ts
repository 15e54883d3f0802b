import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** The sink's own registry: notification counters plus prom-client's default process metrics. */
// No service label: Prometheus' file SD gives the sandbox's own processes component="<name>".
export function createSinkMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const received = new Counter({
    name: 'notifications_received_total',
    help: 'Notifications the sink recorded, by receiver path segment, kind and group status',
    labelNames: ['receiver', 'kind', 'status'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'notifications_rejected_total',
    help: 'Notifications the sink refused (not recorded), by kind and reason',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry],
  });
  return { registry, received, rejected };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;
