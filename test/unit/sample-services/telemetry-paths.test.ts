import { describe, expect, it } from 'vitest';
import { isOperationalPath } from '../../../sample-services/shared/telemetry.ts';

describe('isOperationalPath', () => {
  it('matches the operational endpoints, alone or followed by / or a query', () => {
    for (const url of ['/metrics', '/health', '/ready', '/chaos', '/admin', '/metrics?x=1', '/chaos/faults', '/admin/model', '/ready/', '/health?'])
      expect(isOperationalPath(url), url).toBe(true);
  });

  it('leaves user traffic and look-alikes alone', () => {
    for (const url of ['/predict', '/', '', '/metricsx', '/healthz', '/v1/health', 'metrics', '/Metrics', '/fleet/status', '/chaosmonkey?x'])
      expect(isOperationalPath(url), url).toBe(false);
  });
});
