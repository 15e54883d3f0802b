import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { awsClientConfig } from '../../../sample-services/shared/aws/client-config.ts';

/**
 * A real S3-compatible HTTP server for the S3 code paths: s3rver, a Node S3 emulator, in the
 * test process. LocalStack itself needs a Docker engine, which the machines these suites run on
 * do not have; the docker suite (test/docker/) checks the same paths against LocalStack.
 */
export interface S3Emulator {
  endpoint: string;
  port: number;
  /** The AWS_* environment a sample service needs to use it, as scripts/runtime/service-env/aws.ts writes it. */
  env: Record<string, string>;
  client: S3Client;
  close(): Promise<void>;
}

export async function startS3Emulator(options: { buckets: string[]; port?: number }): Promise<S3Emulator> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver checks signatures against its one fixed key pair (LocalStack takes any, e.g. test/test).
  const env = { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  const client = new S3Client(awsClientConfig(env));
  return {
    endpoint,
    port,
    env,
    client,
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
