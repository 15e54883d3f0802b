import { describe, expect, it } from 'vitest';
import { supervisorMetrics, type InstanceSample } from '../../../scripts/runtime/supervisor-metrics.ts';

describe('supervisor metrics', () => {
  it('read the supervisor state at each scrape: restarts and running per instance, a removed replica gone', async () => {
    let instances: InstanceSample[] = [
      { labels: { service: 'ml-service' }, restarts: 2, running: true },
      { labels: { service: 'ml-service', replica: 'ml-service-2' }, restarts: 1, running: false },
    ];
    const registry = await supervisorMetrics(() => instances);
    const first = await registry.metrics();
    expect(first).toContain('process_restarts_total{service="ml-service"} 2');
    expect(first).toContain('process_restarts_total{service="ml-service",replica="ml-service-2"} 1');
    expect(first).toContain('sandbox_process_running{service="ml-service"} 1');
    expect(first).toContain('sandbox_process_running{service="ml-service",replica="ml-service-2"} 0');
    instances = [{ labels: { service: 'ml-service' }, restarts: 3, running: true }];
    const second = await registry.metrics();
    expect(second).toContain('process_restarts_total{service="ml-service"} 3');
    expect(second).not.toContain('ml-service-2');
    expect(registry.contentType).toMatch(/^text\/plain/);
  });
});
