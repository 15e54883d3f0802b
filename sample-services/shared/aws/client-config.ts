/**
 * The AWS side of a sample service's environment, read once for every SDK client it makes
 * (S3 model registry, CloudWatch metrics). The sandbox sets these when LocalStack runs
 * (scripts/runtime/service-env/aws.ts):
 *   AWS_ENDPOINT_URL   the emulator (http://127.0.0.1:4566 + the port offset); unset: real AWS
 *   AWS_REGION         us-east-1
 *   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   LocalStack's dummies (test/test)
 */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Emulators answer on one host: bucket in the path, not in the host name. */
  forcePathStyle?: boolean;
  /**
   * Checksums only where an API requires them: the SDK's default CRC32 request checksums and
   * response validation are not implemented alike by every emulator (older LocalStack, the tests' S3 stand-in).
   */
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
  maxAttempts: number;
}

export const DEFAULT_REGION = 'us-east-1';

/** Client settings from the given environment (a service's env, not necessarily process.env). */
export function awsClientConfig(env: NodeJS.ProcessEnv): AwsClientConfig {
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL);
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  return {
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // Unset: the SDK's default chain (profiles, instance roles) decides, as for real AWS.
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Fail fast: callers retry on their own schedule (registry start-up, the next metrics flush).
    maxAttempts: 2,
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
