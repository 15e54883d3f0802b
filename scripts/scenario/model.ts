import type { FaultType } from '../faults/catalog.ts';
import type { Executor, LoadEngine, Stage } from '../load/schedule.ts';

/** A validated scenario, durations in seconds and paths absolute. */
export interface Scenario {
  name: string;
  description?: string;
  file: string;
  ruleFiles: string[];
  targets: { mttdSeconds: number | null; mttrSeconds: number | null };
  load: ScenarioLoad;
  faults: FaultSpec[];
  expectations: Expectation[];
  /** Runs of the scenario, and the percentile its verdict is taken at (100: every run). */
  repeat: { runs: number; percentile: number };
}

/**
 * The load profile. `rate` is the constant rate, or for a ramping profile the highest rate it
 * reaches (for reports and sizing). The loader always sets `executor` and `engine`; absent means
 * constant-arrival-rate on the builtin engine.
 */
export interface ScenarioLoad {
  rate: number;
  durationSeconds: number;
  requests: { method: string; path: string; weight: number }[];
  executor?: Executor;
  engine?: LoadEngine;
  /** ramping-arrival-rate only. */
  startRate?: number;
  /** ramping-arrival-rate only: durations in seconds. */
  stages?: Stage[];
}

export interface FaultSpec {
  type: FaultType;
  service: string;
  atSeconds: number;
  durationSeconds: number | null;
  params: Record<string, unknown>;
}

/** An alert name, or a /regex/ over names. */
export type NameMatcher = { kind: 'exact'; value: string } | { kind: 'regex'; value: RegExp; source: string };

export type Expectation =
  | { kind: 'alert'; alert: NameMatcher; labels: Record<string, string>; withinSeconds: number | null }
  | { kind: 'notification'; receiver: string; alert: NameMatcher; withinSeconds: number | null }
  | { kind: 'remediation'; action: string; service: string | null; withinSeconds: number | null }
  | { kind: 'resolved'; alert: NameMatcher; withinSeconds: number | null }
  | { kind: 'noOtherAlerts'; enabled: boolean }
  /** Error budget the scenario may consume, as a share of the budget period's (0.25 = 25%). */
  | { kind: 'slo'; slo: string; maxBudgetBurned: number };

export function parseNameMatcher(text: string): NameMatcher {
  const m = /^\/(.+)\/$/.exec(text);
  return m ? { kind: 'regex', value: new RegExp(`^(?:${m[1]})$`), source: text } : { kind: 'exact', value: text };
}

export function matchesName(m: NameMatcher, name: string): boolean {
  return m.kind === 'exact' ? m.value === name : m.value.test(name);
}

export function matcherText(m: NameMatcher): string {
  return m.kind === 'exact' ? m.value : m.source;
}
