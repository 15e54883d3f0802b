import { describe, expect, it } from 'vitest';
import { MlClient, upstreamListProblem } from '../../../sample-services/api-gateway/ml-client.ts';

describe('api-gateway upstream list', () => {
  it('accepts a non-empty list of distinct http(s) base URLs and says what is wrong with anything else', () => {
    expect(upstreamListProblem(['http://127.0.0.1:8081', 'http://127.0.0.1:8082'])).toBeNull();
    expect(upstreamListProblem([])).toMatch(/non-empty list/);
    expect(upstreamListProblem('http://127.0.0.1:8081')).toMatch(/non-empty list/);
    expect(upstreamListProblem(['not a url'])).toMatch(/upstreams\[0\]: not a URL/);
    expect(upstreamListProblem(['ftp://127.0.0.1:21'])).toMatch(/upstreams\[0\]: expected an http\(s\) URL/);
    expect(upstreamListProblem(['http://127.0.0.1:8081', 'http://127.0.0.1:8081/'])).toMatch(/twice/);
  });

  it('keeps the primary first and replaces the list as a whole', () => {
    const ml = new MlClient(['http://127.0.0.1:8081'], 1000, () => false);
    expect(ml.primary).toBe('http://127.0.0.1:8081');
    ml.setUpstreams(['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    expect(ml.upstreams).toEqual(['http://127.0.0.1:8081', 'http://127.0.0.1:8082']);
    expect(() => ml.setUpstreams([])).toThrow(/empty/);
    ml.close();
  });
});
