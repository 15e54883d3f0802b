import type { PortPlan } from '../../stack/catalog.ts';
import type { StackRuntime } from '../types.ts';
import { awsEnv } from './aws.ts';
import { telemetryEnv } from './telemetry.ts';

/** What a service-env part may ask about the stack this sandbox runs. */
export interface StackView {
  /** Whether `component` will run in this sandbox (native: its binary is on PATH; docker: always). */
  runs(component: string): boolean;
  /** http://127.0.0.1:<host port> of a component's named port, as host processes reach it. */
  hostUrl(component: string, port?: string): string;
}

export function stackView(runtime: StackRuntime, ports: PortPlan): StackView {
  return {
    runs: (component) => componentRuns(runtime, component),
    hostUrl: (component, port) => `http://127.0.0.1:${ports.stack(component, port)}`,
  };
}

/**
 * The one answer to "does this runtime run that component?", shared by port checks and env:
 * the runtime's own, after prepare() (native: binary on PATH; docker: image on the engine;
 * neither when left out with --without).
 */
export function componentRuns(runtime: StackRuntime, component: string): boolean {
  return runtime.runs(component);
}

/**
 * Environment every host process (sample services, receivers) gets from the stack: where to send
 * traces and logs, and the AWS emulator's endpoint. Empty where the component does not run, so a
 * service never exports into nothing.
 */
export function stackEnvForServices(view: StackView): Record<string, string> {
  return { ...telemetryEnv(view), ...awsEnv(view) };
}
