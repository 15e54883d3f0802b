import type { RuntimeName } from '../runtime/types.ts';
import type { Scenario } from './model.ts';
import type { Spread } from '../core/percentile.ts';
import type { TimelineEvent } from './timeline.ts';

export type Outcome = 'passed' | 'failed' | 'errored' | 'skipped';

/** 'target': the scenario's MTTD or MTTR target, judged like an expectation. */
export type ExpectationKind = 'alert' | 'notification' | 'remediation' | 'resolved' | 'noOtherAlerts' | 'slo' | 'logs' | 'trace' | 'correlation' | 'target';

export interface ExpectationResult {
  kind: ExpectationKind;
  /** Alert name (or /regex/), action, or a short label for the expectation. */
  name: string;
  passed: boolean;
  /** Seconds from the first fault's start to when it held; null when it never did. */
  observedSeconds: number | null;
  withinSeconds: number | null;
  /** Names what was expected and what was observed. */
  message: string;
  /** `alert` expectations: the detection model's bounds for this alert after this run's fault (detection-model.ts). */
  floorSeconds?: number;
  ceilingSeconds?: number;
  /** observedSeconds / ceilingSeconds: 1 is the slowest the configuration allows; null when it never fired. */
  ofCeiling?: number | null;
}

export interface ScenarioMetrics {
  mttdSeconds: number | null;
  timeToNotifySeconds: number | null;
  timeToRemediateSeconds: number | null;
  mttrSeconds: number | null;
  detectionFloorSeconds: number | null;
  detectionCeilingSeconds: number | null;
  /** The same for the first notification: + group_wait of the route (detection-bounds.ts). */
  notificationFloorSeconds: number | null;
  notificationCeilingSeconds: number | null;
  /** mttdSeconds / detectionCeilingSeconds (absent in reports written before it existed). */
  mttdOfCeiling?: number | null;
}

export interface ScenarioResult {
  name: string;
  file: string;
  description?: string;
  outcome: Outcome;
  targets: { mttdSeconds: number | null; mttrSeconds: number | null };
  metrics: ScenarioMetrics;
  expectations: ExpectationResult[];
  timeline: TimelineEvent[];
  durationSeconds: number;
  load?: { sent: number; failed: number; rate: number; latencyMs?: { p50: number; p95: number; p99: number; max: number } };
  /** With `repeat:`: the spread of each time metric over the runs (metrics are at the percentile). */
  repeat?: RepeatSummary;
  /**
   * Attached stacks only: alerts that were not the scenario's to judge (already firing before it
   * started, or not about the sandbox's services), as first seen; never counted by noOtherAlerts.
   */
  backgroundAlerts?: BackgroundAlert[];
  /**
   * Set when outcome is 'errored' (the sandbox itself could not run the scenario) or 'skipped'
   * (code COMPONENT_UNAVAILABLE: an optional component its expectations need is not here; NOT_RUN:
   * no sandbox was left to run it).
   */
  error?: { code: string; message: string; hint?: string };
}

export interface BackgroundAlert {
  alert: string;
  labels: Readonly<Record<string, string>>;
  state: 'pending' | 'firing';
  reason: 'firing-before-start' | 'not-about-sandbox';
  /** Seconds since the scenario started when it was first seen. */
  firstSeenSeconds: number;
}

/** What `repeat:` adds to a scenario's result: the spread of every time metric over the runs. */
export interface RepeatSummary {
  runs: number;
  percentile: number;
  passedRuns: number;
  outcomes: Outcome[];
  stats: Record<'mttdSeconds' | 'timeToNotifySeconds' | 'timeToRemediateSeconds' | 'mttrSeconds', Spread>;
}

export interface SuiteReport {
  passed: boolean;
  runtime: RuntimeName;
  startedAt: string;
  durationSeconds: number;
  scenarios: ScenarioResult[];
}

/** What every reporter hears before the first scenario runs (Reporter.onInit). */
export interface ReporterContext {
  /** Where reporters that write files put them. */
  reportDir: string;
  /** The scenarios of this run, in the order given; with `repeat:` each runs several times. */
  scenarios: readonly Scenario[];
}

/**
 * A reporter reads only results and timelines; it knows nothing of runtimes. Its lifecycle is
 * like a vitest reporter's (engine/reporter-hub.ts): every hook is optional, every hook but
 * onEvent is awaited, and one that throws is isolated from the run and the other reporters.
 */
export interface Reporter {
  readonly name: string;
  /** Once, before anything starts. */
  onInit?(context: ReporterContext): void | Promise<void>;
  onScenarioStart?(name: string): void | Promise<void>;
  /** Each timeline event as it is recorded; synchronous. */
  onEvent?(scenario: string, event: TimelineEvent): void;
  /** Each run of a scenario (with `repeat:`, every run; the suite report has the aggregate). */
  onScenarioEnd?(result: ScenarioResult): void | Promise<void>;
  onSuiteEnd?(report: SuiteReport): void | Promise<void>;
}
