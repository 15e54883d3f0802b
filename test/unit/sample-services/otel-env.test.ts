import { describe, expect, it } from 'vitest';
import { serviceResource } from '../../../sample-services/shared/otel-env.ts';

describe('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', () => {
  it('without them the service keeps its own name and no other attributes', () => {
    expect(serviceResource({}, 'ml-service')).toEqual({ serviceName: 'ml-service', attributes: {} });
    expect(serviceResource({ OTEL_SERVICE_NAME: '', OTEL_RESOURCE_ATTRIBUTES: '' }, 'ml-service')).toEqual({ serviceName: 'ml-service', attributes: {} });
  });

  it('OTEL_SERVICE_NAME names the service, over a service.name in OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(serviceResource({ OTEL_SERVICE_NAME: 'rul-predictor', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other,team=pdm' }, 'ml-service')).toEqual({
      serviceName: 'rul-predictor',
      attributes: { team: 'pdm' },
    });
  });

  it('a service.name in OTEL_RESOURCE_ATTRIBUTES names it when OTEL_SERVICE_NAME is not set', () => {
    expect(serviceResource({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=rul-predictor' }, 'ml-service').serviceName).toBe('rul-predictor');
  });

  it('percent-decodes keys and values, trims blanks around them and skips empty pairs', () => {
    const r = serviceResource({ OTEL_RESOURCE_ATTRIBUTES: ' deployment.environment.name = ci%2Clab%3D1 ,, service.namespace=predictive%20maintenance,caf%C3%A9=%E2%9C%93 ' }, 'ml-service');
    expect(r).toEqual({
      serviceName: 'ml-service',
      attributes: { 'deployment.environment.name': 'ci,lab=1', 'service.namespace': 'predictive maintenance', 'café': '✓' },
    });
  });

  it.each([
    ['a pair without "="', 'team=pdm,broken', /"broken" is not key=value/],
    ['an unencoded "=" in a value', 'team=a=b', /"team=a=b" is not key=value .*%3D/],
    ['an empty key', '=x', /"=x" has an empty key/],
    ['a bad percent-escape', 'team=%E0%A4%A', /"team=%E0%A4%A" is not valid percent-encoding/],
  ])('discards the whole variable on %s, and says why', (_what, value, why) => {
    const r = serviceResource({ OTEL_RESOURCE_ATTRIBUTES: `service.name=other,${value}`, OTEL_SERVICE_NAME: '' }, 'ml-service');
    expect(r.serviceName).toBe('ml-service');
    expect(r.attributes).toEqual({});
    expect(r.problem).toMatch(/^OTEL_RESOURCE_ATTRIBUTES ignored: /);
    expect(r.problem).toMatch(why);
  });
});
