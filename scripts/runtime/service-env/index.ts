import { awsEnv } from './aws.ts';
import type { StackView } from './stack-view.ts';
import { telemetryEnv } from './telemetry.ts';

export { componentRuns, stackView, type StackView } from './stack-view.ts';

/**
 * Environment every host process (sample services, receivers) gets from the stack: where to send
 * traces and logs, and the AWS emulator's endpoint. Empty where the component does not run, so a
 * service never exports into nothing.
 */
export function stackEnvForServices(view: StackView): Record<string, string> {
  return { ...telemetryEnv(view), ...awsEnv(view) };
}
