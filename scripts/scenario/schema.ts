import { z } from 'zod';
import { DURATION_PATTERN } from '../core/duration.ts';
import { FAULT_TYPES } from '../faults/catalog.ts';
import { EXECUTORS, LOAD_ENGINES, MAX_RATE } from '../load/schedule.ts';

/**
 * The scenario file format (docs/contracts.md, "Scenario format"). Structure only: fault params,
 * service names and expectation kinds are checked by the loader so that each problem names
 * the allowed values.
 */
export const duration = z.string().regex(DURATION_PATTERN, 'expected a duration like 500ms, 30s or 2m');

const matcher = z.string().min(1);
const labels = z.record(z.string(), z.string());

export const expectationSchemas = {
  alert: z.strictObject({ alert: matcher, labels: labels.optional(), within: duration.optional() }),
  notification: z.strictObject({
    notification: z.strictObject({ receiver: z.string().min(1), alert: matcher, within: duration.optional() }),
  }),
  remediation: z.strictObject({
    remediation: z.strictObject({ action: z.string().min(1), service: z.string().optional(), within: duration.optional() }),
  }),
  resolved: z.strictObject({ resolved: z.strictObject({ alert: matcher, within: duration.optional() }) }),
  noOtherAlerts: z.strictObject({ noOtherAlerts: z.boolean() }),
  slo: z.strictObject({
    slo: z.strictObject({
      name: z.string().min(1),
      maxBudgetBurned: z.string().regex(/^\d+(\.\d+)?%$/, 'expected a percentage of the error budget like 25%'),
    }),
  }),
  // Needs Loki: a LogQL query (range from the scenario start) returns at least `min` lines.
  logs: z.strictObject({
    logs: z.strictObject({
      query: z.string().min(1).describe('LogQL with a stream selector, e.g. {service_name="ml-service"} |= "error"'),
      within: duration.optional(),
      min: z.number().int().min(1).optional().describe('matching lines needed (default 1)'),
    }),
  }),
  // Needs Tempo: a trace with a span of this service (and name, status) exists.
  trace: z.strictObject({
    trace: z.strictObject({
      service: z.string().min(1),
      span: z.string().min(1).optional().describe('span name, e.g. POST /predict'),
      status: z.enum(['ok', 'error', 'unset']).optional(),
      within: duration.optional(),
    }),
  }),
  // Needs Loki and Tempo: an exemplar's trace_id and a log line's trace_id both resolve in Tempo.
  correlation: z.strictObject({
    correlation: z.union([z.literal(true), z.strictObject({ within: duration.optional() })]),
  }),
} as const;

export type ExpectationSpecKind = keyof typeof expectationSchemas;
export const EXPECTATION_KINDS = Object.keys(expectationSchemas) as ExpectationSpecKind[];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
  description: z.string().optional(),
  rules: z.array(z.string().min(1)).optional(),
  targets: z.strictObject({ mttd: duration.optional(), mttr: duration.optional() }).optional(),
  // Run the scenario several times; targets are judged at `percentile` of the runs' times, and
  // each expectation must hold in at least that share of the runs.
  repeat: z
    .union([
      z.number().int().min(1).max(20),
      z.strictObject({ runs: z.number().int().min(1).max(20), percentile: z.number().gt(0).max(100).optional() }),
    ])
    .optional(),
  // The load profile, named after k6's executors; `{ rate, duration, requests }` alone is a
  // constant arrival rate. Cross-field rules (rate vs stages, stages within duration) are the
  // loader's, so each problem names its key.
  load: z.strictObject({
    executor: z.enum(EXECUTORS).optional().describe('constant-arrival-rate (default): `rate` per second; ramping-arrival-rate: `startRate`, then `stages`'),
    engine: z.enum(LOAD_ENGINES).optional().describe('builtin (default): the sandbox sends the load; k6: the k6 binary on PATH sends it (without one, on the docker runtime: k6 in the grafana/k6 image)'),
    rate: z.number().min(0).max(MAX_RATE, `at most ${MAX_RATE} requests per second`).optional().describe('constant-arrival-rate: requests per second'),
    startRate: z.number().min(0).max(MAX_RATE, `at most ${MAX_RATE} requests per second`).optional().describe('ramping-arrival-rate: requests per second at the start (default 0)'),
    stages: z
      .array(
        z.strictObject({
          target: z.number().min(0).max(MAX_RATE, `at most ${MAX_RATE} requests per second`).describe('requests per second reached at the end of the stage'),
          duration,
        }),
      )
      .min(1, 'at least one stage')
      .optional()
      .describe('ramping-arrival-rate: the rate moves linearly to each target over its duration, then holds the last target until `duration` ends'),
    duration,
    requests: z
      .array(
        z.strictObject({
          method: z.enum(HTTP_METHODS),
          path: z.string().startsWith('/', 'a path starts with /'),
          weight: z.number().positive().optional(),
        }),
      )
      .min(1)
      .optional(),
  }),
  faults: z
    .array(
      z.strictObject({
        type: z.enum(FAULT_TYPES as [string, ...string[]]),
        service: z.string().min(1),
        at: duration,
        duration: duration.optional(),
        params: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
  // Each item is checked against its own kind's schema by the loader.
  expect: z.array(z.record(z.string(), z.unknown())).min(1, 'a scenario needs at least one expectation'),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
