import { describe, expect, it } from 'vitest';
import { isOperationalPath } from '../../../sample-services/shared/telemetry.ts';
import { hostName } from '../../../sample-services/shared/http-tracing.ts';

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

describe('hostName (server.address from a Host header)', () => {
  it('drops the port, keeps an IPv6 address without brackets, and leaves odd headers as they were parsed before', () => {
    expect(hostName('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(hostName('example.com')).toBe('example.com');
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('[::1]')).toBe('::1');
    expect(hostName('[::1')).toBe('[');
    expect(hostName('[]:80')).toBe('[]');
    expect(hostName('')).toBeUndefined();
    expect(hostName(undefined)).toBeUndefined();
  });
});
