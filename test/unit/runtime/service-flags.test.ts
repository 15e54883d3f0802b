import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceFlags } from '../../../scripts/runtime/processes/host-build.ts';

describe('serviceFlags', () => {
  const root = '/p';
  it('gives the sample services AsyncLocalStorage on async context frames on Node 22 and 23', () => {
    expect(serviceFlags(root, 'sample-services/ml-service/main.ts', '22.22.0')).toEqual(['--experimental-async-context-frame']);
    expect(serviceFlags(root, join(root, 'sample-services/api-gateway/main.ts'), '23.11.1')).toEqual(['--experimental-async-context-frame']);
  });
  it('adds nothing where Node does it by default (24 and later) or for the sandbox’s own processes', () => {
    expect(serviceFlags(root, 'sample-services/ml-service/main.ts', '24.1.0')).toEqual([]);
    expect(serviceFlags(root, 'sample-services/ml-service/main.ts', '26.0.0')).toEqual([]);
    expect(serviceFlags(root, 'scripts/alerting/notification-sink.ts', '22.22.0')).toEqual([]);
    expect(serviceFlags(root, '/elsewhere/sample-services/x.ts', '22.22.0')).toEqual([]);
  });
});
