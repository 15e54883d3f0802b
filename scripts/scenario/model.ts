import type { FaultType } from '../faults/catalog.ts';
import type { Executor, LoadEngine, Stage } from '../load/schedule.ts';
import { logqlErrors } from '../core/logql.ts';

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
  /**
   * Where keys are in the file, as `file:line:col: key path`, so that problems found after
   * loading (an impossible target, a duplicate name) point at the line like the loader's do.
   */
  locations?: { name: string; rules?: string; expect: string[]; engine?: string };
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
  | { kind: 'slo'; slo: string; maxBudgetBurned: number }
  /** Loki: `query` returns at least `min` lines. */
  | { kind: 'logs'; query: string; min: number; withinSeconds: number | null }
  /** Tempo: a trace matching `query` (TraceQL built from service, span, status). */
  | { kind: 'trace'; service: string; span: string | null; status: 'ok' | 'error' | 'unset' | null; query: string; withinSeconds: number | null }
  /** Prometheus exemplar → Tempo, and Loki log line → Tempo. */
  | { kind: 'correlation'; withinSeconds: number | null };

/** Optional stack components an expectation needs beyond Prometheus and Alertmanager. */
export type Backend = 'loki' | 'tempo' | 'localstack';

/** The backends an expectation needs beyond Prometheus and Alertmanager. */
export function backendsOf(e: Expectation): Backend[] {
  if (e.kind === 'logs') return ['loki'];
  if (e.kind === 'trace') return ['tempo'];
  if (e.kind === 'correlation') return ['loki', 'tempo'];
  // The `sns` receiver publishes to SNS on LocalStack; without it the route is not rendered.
  if (e.kind === 'notification' && e.receiver === 'sns') return ['localstack'];
  return [];
}

/** The TraceQL query a `trace` expectation searches Tempo with. */
export function traceQuery(service: string, span: string | null, status: string | null): string {
  const q = (v: string) => JSON.stringify(v);
  const parts = [`resource.service.name = ${q(service)}`, ...(span !== null ? [`name = ${q(span)}`] : []), ...(status !== null ? [`status = ${status}`] : [])];
  return `{ ${parts.join(' && ')} }`;
}

/**
 * A LogQL log query: it starts with a stream selector holding at least one matcher, e.g.
 * `{service_name="ml-service"}` (said in plain words when not), and the whole query parses with
 * Grafana's LogQL grammar. Returns what is wrong, or null.
 */
export function logqlProblem(query: string): string | null {
  const q = query.trim();
  if (!q.startsWith('{')) return 'a LogQL query starts with a stream selector such as {service_name="ml-service"}';
  const end = q.indexOf('}');
  if (end < 0) return 'the stream selector is not closed with }';
  const inner = q.slice(1, end).trim();
  if (inner === '') return 'the stream selector {} is empty: name at least one label, e.g. {service_name="ml-service"}';
  const matcher = /^[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)$/;
  const bad = inner.split(/,(?=(?:[^"`]*["`][^"`]*["`])*[^"`]*$)/).map((m) => m.trim()).find((m) => !matcher.test(m));
  if (bad !== undefined) return `invalid label matcher "${bad}" in the stream selector; use label="value", !=, =~ or !~`;
  const syntax = logqlErrors(q)[0];
  return syntax === undefined ? null : `not valid LogQL ${syntax}; see https://grafana.com/docs/loki/latest/query/log_queries/`;
}

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
