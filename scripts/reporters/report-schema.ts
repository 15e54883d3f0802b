import { z } from 'zod';

/**
 * The contract of report.json (docs/contracts.md, "Report") as a schema, published as JSON
 * Schema in docs/report.schema.json for the tools that read reports. Every key the contract
 * names is required, a time that never came is null (never missing), and objects accept keys
 * this version does not know (generated for input, so no additionalProperties: false): additions
 * are compatible and keep the version. schemaVersion changes only when a key goes away or changes
 * meaning. Regenerate with `npx tsx scripts/json-schemas.ts --write`.
 */
export const REPORT_SCHEMA_VERSION = 1;
export const REPORT_SCHEMA_ID = 'https://observability-sandbox.local/report.schema.json';
/** Where the published schema lives in the repository. */
export const REPORT_SCHEMA_FILE = 'docs/report.schema.json';

const seconds = z.number().nullable().describe('seconds; null when it never happened or was not configured');
const outcome = z.enum(['passed', 'failed', 'errored', 'skipped']);
const spread = z.object({ p50: seconds, p95: seconds, max: seconds, samples: z.int().min(0) });

export const reportSchema = z
  .object({
    $schema: z.literal(REPORT_SCHEMA_ID),
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    passed: z.boolean().describe('true only when every scenario passed'),
    runtime: z.enum(['native', 'docker', 'attached']),
    startedAt: z.iso.datetime(),
    durationSeconds: z.number().min(0),
    counts: z.object({ passed: z.int().min(0), failed: z.int().min(0), errored: z.int().min(0), skipped: z.int().min(0) }),
    scenarios: z.array(
      z.object({
        name: z.string(),
        file: z.string(),
        description: z.string().optional(),
        outcome: outcome.describe('only passed counts as a pass; errored: the sandbox itself could not run it'),
        durationSeconds: z.number().min(0),
        targets: z.object({ mttdSeconds: seconds, mttrSeconds: seconds }),
        metrics: z
          .object({
            mttdSeconds: seconds.describe('first fault start → the expected alert first seen firing'),
            timeToNotifySeconds: seconds.describe('first fault start → its first delivery at a receiver'),
            timeToRemediateSeconds: seconds.describe('first fault start → the expected remediation succeeded'),
            mttrSeconds: seconds.describe('first fault start → the alert resolved'),
            detectionFloorSeconds: seconds,
            detectionCeilingSeconds: seconds,
            notificationFloorSeconds: seconds,
            notificationCeilingSeconds: seconds,
            mttdOfCeiling: z
              .number()
              .nullable()
              .describe('mttdSeconds / detectionCeilingSeconds: 1 is the slowest the detection model allows; null without either'),
          })
          .describe('at the repeat percentile when the scenario has repeat:'),
        expectations: z.array(
          z.object({
            kind: z.string().describe('alert, notification, remediation, resolved, noOtherAlerts, slo, logs, trace, correlation or target'),
            name: z.string(),
            passed: z.boolean(),
            observedSeconds: seconds.describe('since the first fault start; null when it never held'),
            withinSeconds: seconds,
            message: z.string().describe('what was expected and what was observed'),
            floorSeconds: z.number().min(0).optional().describe('alert expectations: the detection model\'s floor for this alert after this run\'s fault'),
            ceilingSeconds: z.number().min(0).optional().describe('alert expectations: the detection model\'s ceiling'),
            ofCeiling: z.number().nullable().optional().describe('observedSeconds / ceilingSeconds; null when the alert never fired'),
          }),
        ),
        timeline: z.array(
          z
            .object({
              t: z.number().describe('seconds since the scenario started'),
              at: z.iso.datetime().describe('UTC wall time'),
              kind: z.string(),
              detail: z.string(),
            })
            .describe('an event: these four keys, then the fields of its kind'),
        ),
        load: z
          .object({
            sent: z.int().min(0),
            failed: z.int().min(0),
            rate: z.number(),
            latencyMs: z.object({ p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() }).optional(),
          })
          .optional(),
        repeat: z
          .object({
            runs: z.int().min(1),
            percentile: z.number(),
            passedRuns: z.int().min(0),
            outcomes: z.array(outcome),
            stats: z.object({ mttdSeconds: spread, timeToNotifySeconds: spread, timeToRemediateSeconds: spread, mttrSeconds: spread }),
          })
          .optional(),
        backgroundAlerts: z
          .array(
            z.object({
              alert: z.string(),
              labels: z.record(z.string(), z.string()),
              state: z.enum(['pending', 'firing']),
              reason: z.enum(['firing-before-start', 'not-about-sandbox']),
              firstSeenSeconds: z.number(),
            }),
          )
          .optional()
          .describe('attached runs: alerts that were not the scenario\'s to judge, left out of noOtherAlerts'),
        error: z
          .object({ code: z.string(), message: z.string(), hint: z.string().optional() })
          .optional()
          .describe('set when outcome is errored or skipped (COMPONENT_UNAVAILABLE, NOT_RUN)'),
      }),
    ),
  })
  .describe('report.json, written by `sandbox test` and `sandbox run --report-dir`');

export function reportJsonSchema(): Record<string, unknown> {
  return {
    $id: REPORT_SCHEMA_ID,
    title: 'Observability sandbox report (report.json)',
    ...z.toJSONSchema(reportSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}
