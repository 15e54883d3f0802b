import type { ActionName, ActionSpec } from '../playbook-schema.ts';
import { circuitBreaker } from './circuit-breaker.ts';
import { clearFaults } from './clear-faults.ts';
import { rollbackModel } from './rollback-model.ts';
import { restart } from './restart.ts';
import { scaleOut } from './scale-out.ts';
import type { ActionContext, ActionOutcome, Describer, ActionExecutor } from './types.ts';

const executors: { [K in ActionName]: ActionExecutor<K> } = {
  restart,
  'rollback-model': rollbackModel,
  'circuit-breaker': circuitBreaker,
  'clear-faults': clearFaults,
  'scale-out': scaleOut,
};

const describers: { [K in ActionName]: Describer<K> } = {
  restart: (_s, service) => `restart ${service}`,
  'rollback-model': (_s, service) => `roll back the model on ${service}`,
  'circuit-breaker': (s, service) => `set the circuit breaker on ${service} to ${s.state}${s.holdFor ? ` for ${s.holdFor / 1000}s` : ''}`,
  'clear-faults': (s, service) => `clear faults on ${service}${s.stopRestartLoop ? ', stop its restart loop and restart it' : ''}`,
  'scale-out': (s, service) => `scale ${service} out to at least ${s.replicas} instances`,
};

export function runAction(spec: ActionSpec, ctx: ActionContext): Promise<ActionOutcome> {
  return (executors[spec.action] as ActionExecutor<ActionName>)(spec as never, ctx);
}

export function describeAction(spec: ActionSpec, service: string): string {
  return (describers[spec.action] as Describer<ActionName>)(spec as never, service);
}

export { ActionFailure } from './http.ts';
export type { ActionContext, ActionOutcome } from './types.ts';
