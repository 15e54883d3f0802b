import type { StackView } from './index.ts';

/** The AWS emulator's endpoint for services that use S3, SNS or CloudWatch, when it runs. */
export function awsEnv(_view: StackView): Record<string, string> {
  return {};
}
