import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface RemediationMetrics {
  registry: Registry;
  actions: Counter<'action' | 'result'>;
  duration: Histogram<'action'>;
  webhooks: Counter<'status'>;
}

export function createMetrics(): RemediationMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    actions: new Counter({
      name: 'remediation_actions_total',
      help: 'Remediation actions by outcome (succeeded, failed, skipped, dry-run).',
      labelNames: ['action', 'result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'remediation_action_duration_seconds',
      help: 'Time from starting an action to its verified outcome.',
      labelNames: ['action'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'remediation_webhooks_total',
      help: 'Alertmanager webhooks received, by the group status (firing, resolved) or invalid when rejected.',
      labelNames: ['status'],
      registers: [registry],
    }),
  };
}
