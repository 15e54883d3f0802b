import { resolve } from 'node:path';
import type { ModelRegistryBackend } from './backend.ts';
import { LocalDirectoryRegistry } from './local-directory.ts';

export interface SelectedRegistry {
  backend: ModelRegistryBackend;
  /**
   * A remote store may not answer yet when the service starts (the docker runtime starts
   * LocalStack and the services side by side): the service then loads its model once it does.
   */
  remote: boolean;
  close(): void;
}

/**
 * The registry the environment asks for:
 *   MODEL_REGISTRY_S3_BUCKET set   an S3 bucket (optional MODEL_REGISTRY_S3_PREFIX), reached
 *                                  with the AWS_* settings (shared/aws/client-config.ts)
 *   otherwise (the default)        the directory MODEL_REGISTRY_DIR, else <state dir>/models
 */
export async function selectRegistry(env: NodeJS.ProcessEnv, stateDir: string): Promise<SelectedRegistry> {
  const bucket = env.MODEL_REGISTRY_S3_BUCKET;
  if (bucket) {
    // Loaded only here: a service on the local directory never pays for the AWS SDK.
    const [{ S3Client }, { S3Registry }, { awsClientConfig }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('./s3.ts'),
      import('../../shared/aws/client-config.ts'),
    ]);
    const client = new S3Client(awsClientConfig(env));
    return { backend: new S3Registry(client, bucket, env.MODEL_REGISTRY_S3_PREFIX ?? ''), remote: true, close: () => client.destroy() };
  }
  const dir = resolve(env.MODEL_REGISTRY_DIR ?? `${stateDir}/models`);
  return { backend: new LocalDirectoryRegistry(dir), remote: false, close: () => undefined };
}
