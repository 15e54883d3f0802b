import { z } from 'zod';
import { DURATION_PATTERN } from '../core/duration.ts';

/**
 * The contract's fault types and their params. Scenario validation reads this, so an unknown
 * fault or param is rejected before anything starts, with the allowed values.
 */
const duration = z.string().regex(DURATION_PATTERN, 'expected a duration like 500ms, 30s or 2m');
const ratio = z.number().min(0, 'a ratio is between 0 and 1').max(1, 'a ratio is between 0 and 1');

export const faultParamSchemas = {
  latency: z.strictObject({ delay: duration, jitter: duration.optional(), ratio: ratio.optional(), route: z.string().optional() }),
  errors: z.strictObject({ ratio, status: z.number().int().min(500).max(599).optional() }),
  crash: z.strictObject({}),
  'crash-loop': z.strictObject({ times: z.number().int().positive().optional() }),
  'bad-model': z.strictObject({ version: z.string().optional() }),
  'memory-leak': z.strictObject({
    rate: z.string().regex(/^\d+(\.\d+)?(KB|MB|GB)\/s$/, 'expected a size per second like 20MB/s'),
  }),
  'cpu-burn': z.strictObject({ ratio }),
  'dependency-outage': z.strictObject({ dependency: z.string().min(1) }),
} as const;

export type FaultType = keyof typeof faultParamSchemas;

/**
 * Faults whose effect is measured against the machine's cores (a CPU burn is alerted on as a
 * share of a core): a scenario with one runs alone when a suite runs sandboxes side by side,
 * since another sandbox's load would take the cores it measures.
 */
export const HOST_BOUND_FAULTS: ReadonlySet<FaultType> = new Set(['cpu-burn']);
export const FAULT_TYPES = Object.keys(faultParamSchemas) as FaultType[];

export function isFaultType(t: string): t is FaultType {
  return Object.hasOwn(faultParamSchemas, t);
}
