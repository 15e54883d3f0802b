import type { ExpectationResult, Reporter, ScenarioMetrics, ScenarioResult, SuiteReport } from '../scenario/result.ts';
import type { TimelineEvent } from '../scenario/timeline.ts';
import type { z } from 'zod';
import { countOutcomes, type OutcomeCounts } from './format.ts';
import { REPORT_SCHEMA_ID, REPORT_SCHEMA_VERSION, type reportSchema } from './report-schema.ts';
import { writeReportFile } from './write-file.ts';

export const JSON_REPORT_FILE = 'report.json';

/**
 * The report.json document (docs/contracts.md, "Report"; JSON Schema in docs/report.schema.json,
 * named by `$schema`). Contract keys are listed explicitly and missing values become null rather
 * than disappearing, so consumers can rely on every key being present.
 */
export interface ReportDocument {
  $schema: typeof REPORT_SCHEMA_ID;
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  passed: boolean;
  runtime: SuiteReport['runtime'];
  startedAt: string;
  durationSeconds: number;
  counts: OutcomeCounts;
  scenarios: ScenarioDocument[];
}

export interface ScenarioDocument {
  name: string;
  file: string;
  description?: string;
  outcome: ScenarioResult['outcome'];
  durationSeconds: number;
  targets: ScenarioResult['targets'];
  /** mttdOfCeiling always written (null without a ceiling), like every other metric. */
  metrics: ScenarioMetrics & { mttdOfCeiling: number | null };
  expectations: ExpectationResult[];
  timeline: TimelineDocumentEvent[];
  load?: ScenarioResult['load'];
  repeat?: ScenarioResult['repeat'];
  /** Attached stacks: alerts left out of the verdict (already firing, or not about the sandbox). */
  backgroundAlerts?: ScenarioResult['backgroundAlerts'];
  error?: ScenarioResult['error'];
}

/** `t`, `at`, `kind`, `detail` first (the contract), then the event's own fields. */
export type TimelineDocumentEvent = { t: number; at: string; kind: string; detail: string } & Record<string, unknown>;

/** JSON has no NaN/Infinity and drops undefined: both would silently break the contract. */
const num = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function toReportDocument(report: SuiteReport): ReportDocument {
  return {
    $schema: REPORT_SCHEMA_ID,
    schemaVersion: REPORT_SCHEMA_VERSION,
    passed: report.passed,
    runtime: report.runtime,
    startedAt: report.startedAt,
    durationSeconds: report.durationSeconds,
    counts: countOutcomes(report.scenarios),
    scenarios: report.scenarios.map(scenarioDocument),
  };
}

function scenarioDocument(s: ScenarioResult): ScenarioDocument {
  const m = s.metrics;
  return {
    name: s.name,
    file: s.file,
    ...(s.description !== undefined ? { description: s.description } : {}),
    outcome: s.outcome,
    durationSeconds: s.durationSeconds,
    targets: { mttdSeconds: num(s.targets.mttdSeconds), mttrSeconds: num(s.targets.mttrSeconds) },
    metrics: {
      mttdSeconds: num(m.mttdSeconds),
      timeToNotifySeconds: num(m.timeToNotifySeconds),
      timeToRemediateSeconds: num(m.timeToRemediateSeconds),
      mttrSeconds: num(m.mttrSeconds),
      detectionFloorSeconds: num(m.detectionFloorSeconds),
      detectionCeilingSeconds: num(m.detectionCeilingSeconds),
      notificationFloorSeconds: num(m.notificationFloorSeconds),
      notificationCeilingSeconds: num(m.notificationCeilingSeconds),
      mttdOfCeiling: num(m.mttdOfCeiling),
    },
    expectations: s.expectations.map((e) => ({
      kind: e.kind,
      name: e.name,
      passed: e.passed,
      observedSeconds: num(e.observedSeconds),
      withinSeconds: num(e.withinSeconds),
      message: e.message,
      // alert expectations: the detection model's bounds and the observed time as a fraction of the ceiling
      ...(e.floorSeconds !== undefined && e.ceilingSeconds !== undefined ? { floorSeconds: e.floorSeconds, ceilingSeconds: e.ceilingSeconds, ofCeiling: num(e.ofCeiling) } : {}),
    })),
    timeline: s.timeline.map(eventDocument),
    ...(s.load !== undefined ? { load: s.load } : {}),
    ...(s.repeat !== undefined ? { repeat: s.repeat } : {}),
    ...(s.backgroundAlerts !== undefined ? { backgroundAlerts: s.backgroundAlerts } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
  };
}

function eventDocument(e: TimelineEvent): TimelineDocumentEvent {
  const { t, at, kind, detail, ...rest } = e;
  return { t, at, kind, detail, ...rest };
}

/** Writes report.json into the report dir when the suite ends. */
export class JsonReporter implements Reporter {
  readonly name = 'json';
  private readonly reportDir: string;

  constructor(reportDir: string) {
    this.reportDir = reportDir;
  }

  async onSuiteEnd(report: SuiteReport): Promise<void> {
    await writeReportFile(this.reportDir, JSON_REPORT_FILE, `${JSON.stringify(toReportDocument(report), null, 2)}\n`);
  }
}

/** Compile-time: what this file writes is what the published schema describes. */
export type ReportMatchesSchema = ReportDocument extends z.output<typeof reportSchema> ? true : never;
const reportMatchesSchema: ReportMatchesSchema = true;
void reportMatchesSchema;
