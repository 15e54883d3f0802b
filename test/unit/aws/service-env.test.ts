import { describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../../sample-services/shared/aws/client-config.ts';
import { stackEnvForServices, type StackView } from '../../../scripts/runtime/service-env/index.ts';
import { awsEnv } from '../../../scripts/runtime/service-env/aws.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';

const view = (running: string[], offset = 0): StackView => ({
  runs: (c) => running.includes(c),
  hostUrl: (c, p) => `http://127.0.0.1:${portPlan(offset).stack(c, p)}`,
});

describe('AWS environment for host processes', () => {
  it('points services at LocalStack with dummy credentials and the model bucket when it runs', () => {
    expect(awsEnv(view(['localstack'], 500))).toEqual({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5066',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      MODEL_REGISTRY_S3_BUCKET: 'sandbox-models',
    });
    expect(stackEnvForServices(view(['localstack']))).toMatchObject({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
  });

  it('sets nothing where LocalStack does not run, so the local registry stays the default', () => {
    expect(awsEnv(view(['prometheus', 'alertmanager', 'tempo']))).toEqual({});
    expect(Object.keys(stackEnvForServices(view([])))).toEqual([]);
  });

  it('SDK client settings follow that environment', () => {
    expect(awsClientConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' })).toMatchObject({
      endpoint: 'http://127.0.0.1:4566',
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    // Real AWS: no endpoint override, the SDK's own credential chain, a default region.
    const real = awsClientConfig({ AWS_ENDPOINT_URL: '' });
    expect(real).not.toHaveProperty('endpoint');
    expect(real).not.toHaveProperty('credentials');
    expect(real.region).toBe('us-east-1');
  });
});
