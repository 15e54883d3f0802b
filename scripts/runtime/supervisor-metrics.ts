import type { Registry } from 'prom-client';

/** One supervised instance as the metrics see it. */
export interface InstanceSample {
  labels: { service: string; replica?: string };
  restarts: number;
  running: boolean;
}

/**
 * The supervisor's metrics, read from its own state at each scrape: process_restarts_total and
 * sandbox_process_running. prom-client loads on the first scrape, not while the sandbox starts
 * (it is a tenth of a second of a detached host's start).
 */
export async function supervisorMetrics(sample: () => readonly InstanceSample[]): Promise<Registry> {
  const { Counter, Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  new Counter({
    name: 'process_restarts_total',
    help: 'Restarts of a supervised sandbox process (by remediation, operator or restart policy).',
    // `replica` only on a scale-out replica's series (ml-service-2): the primary's series are
    // the same as without scale-out, and an alert on a replica names the replica.
    labelNames: ['service', 'replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sample()) this.inc(s.labels, s.restarts);
    },
  });
  new Gauge({
    name: 'sandbox_process_running',
    help: '1 while the supervised process is running.',
    labelNames: ['service', 'replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sample()) this.set(s.labels, s.running ? 1 : 0);
    },
  });
  return registry;
}
