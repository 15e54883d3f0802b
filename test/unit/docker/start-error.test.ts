import { describe, expect, it } from 'vitest';
import { buildContainerPlans } from '../../../scripts/runtime/docker/container-plan.ts';
import { startError } from '../../../scripts/runtime/docker/docker-runtime.ts';
import { LineTail } from '../../../scripts/runtime/docker/log-tail.ts';
import { stackComponents } from '../../../scripts/stack/catalog.ts';

const prom = buildContainerPlans({
  components: stackComponents,
  hostPort: (c, p) => stackComponents.find((s) => s.name === c)!.ports[p]!,
  configDir: (c) => `/cfg/${c}`,
  labels: { session: 's' },
}).find((p) => p.name === 'prometheus')!;

describe('startError: testcontainers failures as sandbox errors', () => {
  // Message texts as testcontainers 11's HttpWaitStrategy throws them.
  it('a readiness timeout names the component, path and time, with the last log lines', () => {
    const e = startError(prom, 'URL /-/ready not accessible after 20000ms', '/logs/prometheus.log', ['level=error msg="bad config"']);
    expect(e.code).toBe('READINESS_TIMEOUT');
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(`prometheus (container ${prom.image}) was not ready at /-/ready within 20 s`);
    expect(e.details).toEqual(['prometheus | level=error msg="bad config"']);
    expect(e.hint).toContain('/logs/prometheus.log');
  });

  it('a container that exits while starting is reported as died', () => {
    const e = startError(prom, 'Container exited during HTTP healthCheck, last 50 logs: ...', '/logs/p.log', []);
    expect(e.code).toBe('COMPONENT_DIED');
    expect(e.message).toContain('exited before it was ready');
  });

  it('an image that cannot be pulled says why and how to fix it', () => {
    const e = startError(prom, 'manifest for prom/prometheus:v9.9.9 not found', '/logs/p.log', []);
    expect(e.code).toBe('IMAGE_UNAVAILABLE');
    expect(e.message).toContain('the registry has no such image or tag');
    expect(e.hint).toBe(`check the name and tag; \`docker pull ${prom.image}\` shows the registry's answer; or set SANDBOX_PROMETHEUS_IMAGE to an image you have (\`docker images\`)`);
  });
});

describe('LineTail', () => {
  it('keeps the last lines across chunk boundaries', () => {
    const t = new LineTail(2);
    t.push('one\ntw');
    t.push('o\n\nthree\nfou');
    expect(t.lines()).toEqual(['three', 'fou']);
    t.push('r\n');
    expect(t.lines()).toEqual(['three', 'four']);
  });
});
