import type { StackView } from './stack-view.ts';

/** The bucket compose/localstack/ready.d creates for ml-service's model registry. */
export const MODEL_BUCKET = 'sandbox-models';
export const AWS_REGION = 'us-east-1';

/**
 * The AWS emulator's endpoint for services that use S3 or CloudWatch, when it runs (the docker
 * runtime): host processes reach LocalStack at its published port. The credentials are
 * LocalStack's dummies. ml-service keeps its models in S3 then (MODEL_REGISTRY_S3_BUCKET), and
 * every service publishes a few metrics to CloudWatch (sample-services/shared/aws/). Nothing is
 * set where LocalStack does not run: the local model directory stays the default.
 */
export function awsEnv(view: StackView): Record<string, string> {
  if (!view.runs('localstack')) return {};
  return {
    AWS_ENDPOINT_URL: view.hostUrl('localstack'),
    AWS_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    MODEL_REGISTRY_S3_BUCKET: MODEL_BUCKET,
  };
}
