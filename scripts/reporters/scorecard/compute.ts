import { spread, type Spread } from '../../core/percentile.ts';
import { matchesName, type Scenario } from '../../scenario/model.ts';
import type { ScenarioResult } from '../../scenario/result.ts';
import type { EventOf, TimelineEvent } from '../../scenario/timeline.ts';
import { originSeconds } from '../../scenario/verdict.ts';

/** One cell of the fault × alert matrix. */
export interface MatrixCell {
  /** Runs of this scenario in which the alert fired. */
  firedRuns: number;
  /** The scenario expects this alert. */
  expected: boolean;
  /** Seconds from the first fault's start to the alert firing, over the runs where it fired. */
  mttd: Spread;
}

export interface ScenarioRow {
  scenario: string;
  faults: string[];
  runs: number;
  passedRuns: number;
  /** Runs where every alert the scenario expects fired. */
  detectedRuns: number;
  alerts: Record<string, MatrixCell>;
}

export interface Scorecard {
  runtime: string;
  generatedAt: string;
  repeat: number;
  /** Every alert that fired anywhere, plus every alert a scenario expects. */
  alerts: string[];
  rows: ScenarioRow[];
  /** Share of fault-scenario runs in which every expected alert fired. */
  coverage: { detectedRuns: number; runs: number; ratio: number | null };
  /** Share of alert firings in fault scenarios that the scenario expected (per run, per alert name). */
  precision: { expected: number; fired: number; ratio: number | null; unexpected: Record<string, number> };
  /** Alerts that fired while nothing was broken. */
  baseline: { runs: number; falsePositives: number; alerts: Record<string, number> };
  /** MTTD per alert over every fault-scenario run in which the scenario expected it. */
  mttdByAlert: Record<string, Spread>;
  /**
   * The same MTTDs as fractions of their run's modelled ceiling (the alert expectations' ofCeiling,
   * detection-model.ts): 1 is the slowest the rules explain, over 1 a slow sandbox.
   */
  ofCeilingByAlert: Record<string, Spread>;
}

const bySortedName = (samples: Map<string, number[]>): Record<string, Spread> =>
  Object.fromEntries([...samples].sort(([a], [b]) => a.localeCompare(b)).map(([a, v]) => [a, spread(v)]));

const firings = (timeline: readonly TimelineEvent[]) => timeline.filter((e): e is EventOf<'alert-firing'> => e.kind === 'alert-firing');

function expectedAlerts(s: Scenario): ((name: string) => boolean)[] {
  return s.expectations.flatMap((e) => (e.kind === 'alert' || e.kind === 'notification' || e.kind === 'resolved' ? [(n: string) => matchesName(e.alert, n)] : []));
}

/**
 * The alert-quality scorecard, a pure function of scenario results (several runs per scenario):
 * which alerts each fault raises, how often the expected ones fire and how fast, and which fire
 * without being asked for, in fault scenarios and in the no-fault baseline.
 */
export function computeScorecard(scenarios: readonly Scenario[], results: readonly ScenarioResult[], runtime: string, now = new Date()): Scorecard {
  const alertNames = new Set<string>();
  const rows: ScenarioRow[] = [];
  const mttdSamples = new Map<string, number[]>();
  const ofCeilingSamples = new Map<string, number[]>();
  const coverage = { detectedRuns: 0, runs: 0 };
  const precision = { expected: 0, fired: 0, unexpected: {} as Record<string, number> };
  const baseline = { runs: 0, falsePositives: 0, alerts: {} as Record<string, number> };

  for (const s of scenarios) {
    const runs = results.filter((r) => r.name === s.name && r.outcome !== 'errored' && r.outcome !== 'skipped');
    const expected = expectedAlerts(s);
    const wantedNames = s.expectations.flatMap((e) => (e.kind === 'alert' && e.alert.kind === 'exact' ? [e.alert.value] : []));
    wantedNames.forEach((n) => alertNames.add(n));
    const isBaseline = s.faults.length === 0;
    const row: ScenarioRow = { scenario: s.name, faults: [...new Set(s.faults.map((f) => `${f.type} ${f.service}`))], runs: runs.length, passedRuns: 0, detectedRuns: 0, alerts: {} };
    const perAlert = new Map<string, number[]>();
    const firedRuns = new Map<string, number>();
    for (const r of runs) {
      if (r.outcome === 'passed') row.passedRuns++;
      const t0 = originSeconds(r.timeline);
      const firstByAlert = new Map<string, number>();
      for (const f of firings(r.timeline)) {
        if (f.t < t0 || firstByAlert.has(f.alert)) continue;
        firstByAlert.set(f.alert, f.t - t0);
      }
      for (const [alert, t] of firstByAlert) {
        alertNames.add(alert);
        firedRuns.set(alert, (firedRuns.get(alert) ?? 0) + 1);
        perAlert.set(alert, [...(perAlert.get(alert) ?? []), Math.round(t * 1000) / 1000]);
        const isExpected = expected.some((m) => m(alert));
        if (isBaseline) {
          baseline.falsePositives++;
          baseline.alerts[alert] = (baseline.alerts[alert] ?? 0) + 1;
        } else {
          precision.fired++;
          if (isExpected) {
            precision.expected++;
            mttdSamples.set(alert, [...(mttdSamples.get(alert) ?? []), Math.round(t * 1000) / 1000]);
          } else precision.unexpected[alert] = (precision.unexpected[alert] ?? 0) + 1;
        }
      }
      if (!isBaseline) {
        for (const e of r.expectations) {
          if (e.kind !== 'alert' || typeof e.ofCeiling !== 'number') continue;
          ofCeilingSamples.set(e.name, [...(ofCeilingSamples.get(e.name) ?? []), e.ofCeiling]);
        }
      }
      if (isBaseline) baseline.runs++;
      else {
        coverage.runs++;
        const detected = wantedNames.length > 0 ? wantedNames.every((n) => firstByAlert.has(n)) : expected.some((m) => [...firstByAlert.keys()].some(m));
        if (detected) {
          coverage.detectedRuns++;
          row.detectedRuns++;
        }
      }
    }
    for (const alert of new Set([...firedRuns.keys(), ...wantedNames])) {
      row.alerts[alert] = { firedRuns: firedRuns.get(alert) ?? 0, expected: expected.some((m) => m(alert)), mttd: spread(perAlert.get(alert) ?? []) };
    }
    rows.push(row);
  }
  const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);
  return {
    runtime,
    generatedAt: now.toISOString(),
    repeat: Math.max(0, ...rows.map((r) => r.runs)),
    alerts: [...alertNames].sort(),
    rows,
    coverage: { ...coverage, ratio: ratio(coverage.detectedRuns, coverage.runs) },
    precision: { ...precision, ratio: ratio(precision.expected, precision.fired) },
    baseline,
    mttdByAlert: bySortedName(mttdSamples),
    ofCeilingByAlert: bySortedName(ofCeilingSamples),
  };
}
