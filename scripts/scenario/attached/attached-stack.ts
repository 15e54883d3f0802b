import type { AttachTarget } from '../../runtime/attached/attached-runtime.ts';
import { attachTokenFile } from '../../runtime/attached/token-file.ts';
import type { PortPlan } from '../../stack/catalog.ts';
import { readDetectionConfigFromApi, type DetectionConfig } from '../detection-bounds.ts';
import type { Scenario } from '../model.ts';
import { alertmanagerConfigText, alertmanagerReceivers, checkAttachedRouting, sinkNamesOf, type ReceiverTargets, type SandboxEndpoints } from './routing.ts';

/** What an attached stack is configured to do, read from its own APIs. */
export interface AttachedStack {
  /** Detection bounds (intervals, rules' `for`, routes), with the receivers that reach the sink. */
  detection: DetectionConfig;
  receivers: ReceiverTargets[];
  endpoints: SandboxEndpoints;
}

/** `stateDir`: the sandbox's, whose token file (<state>/attach/token) the receivers must send. */
export async function readAttachedStack(attach: AttachTarget, ports: PortPlan, stateDir: string): Promise<AttachedStack> {
  const detection = await readDetectionConfigFromApi(attach.prometheusUrl, attach.alertmanagerUrl);
  const receivers = alertmanagerReceivers(await alertmanagerConfigText(attach.alertmanagerUrl));
  const endpoints = { sinkPort: ports.service('notification-sink'), controllerPort: ports.service('remediation-controller'), tokenFile: attachTokenFile(stateDir) };
  detection.sinkNames = sinkNamesOf(receivers, endpoints.sinkPort);
  return { detection, receivers, endpoints };
}

/** Every receiver a scenario names delivers to the sink, remediation reaches the controller; else INVALID_CONFIG before anything starts. */
export function checkAttachedStack(scenarios: readonly Scenario[], stack: AttachedStack, attach: AttachTarget): void {
  checkAttachedRouting(scenarios, stack.receivers, stack.detection.alertmanager, stack.endpoints, attach.alertmanagerUrl);
}
