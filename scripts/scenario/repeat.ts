import { percentile, spread } from '../core/percentile.ts';
import type { Scenario } from './model.ts';
import type { ExpectationResult, RepeatSummary, ScenarioMetrics, ScenarioResult } from './result.ts';

const TIME_METRICS = ['mttdSeconds', 'timeToNotifySeconds', 'timeToRemediateSeconds', 'mttrSeconds'] as const;

/**
 * One verdict from several runs of a scenario. Each expectation must hold in at least
 * `percentile`% of the runs attempted (100: all of them); an errored run held nothing, and when
 * errored runs are why the verdict fails, the outcome is `errored` with their error (the sandbox,
 * not the monitoring, fell short). Observed times, metrics and targets are taken at that
 * percentile of the runs that ran. The timeline shown is the first failing run's (else the last run's),
 * because that is the one a reader needs to see.
 */
export function aggregateRuns(scenario: Scenario, runs: readonly ScenarioResult[]): ScenarioResult {
  if (runs.length === 1) return runs[0]!;
  const p = scenario.repeat.percentile;
  const attempted = runs.filter((r) => r.outcome !== 'skipped');
  const errored = attempted.filter((r) => r.outcome === 'errored');
  const ran = attempted.filter((r) => r.outcome !== 'errored');
  const shown = ran.find((r) => r.outcome === 'failed') ?? ran.at(-1) ?? runs.at(-1)!;
  const at = (values: (number | null)[]) => percentile(values.filter((v): v is number => v !== null), p);
  const needed = Math.ceil((p / 100) * attempted.length);

  const expectations: ExpectationResult[] = (ran[0]?.expectations ?? []).map((first, i) => {
    const column = ran.map((r) => r.expectations[i]!).filter(Boolean);
    const held = column.filter((e) => e.passed).length;
    const observed = at(column.map((e) => e.observedSeconds));
    const passed = first.kind === 'target' ? observed !== null && first.withinSeconds !== null && observed <= first.withinSeconds : held >= needed;
    const failing = column.find((e) => !e.passed);
    const share = `held in ${held}/${attempted.length} runs (needs ${needed}, p${p}${errored.length > 0 ? `; ${errored.length} errored` : ''})`;
    return {
      ...first,
      passed,
      observedSeconds: observed,
      message:
        first.kind === 'target'
          ? `${first.name} p${p} ${observed ?? '—'}s ${passed ? '≤' : '>'} target ${first.withinSeconds}s over ${column.length} runs`
          : `${share}${failing ? `; a failing run: ${failing.message}` : ''}`,
    };
  });

  const stats = Object.fromEntries(TIME_METRICS.map((k) => [k, spread(ran.map((r) => r.metrics[k]).filter((v): v is number => v !== null))])) as RepeatSummary['stats'];
  const metrics: ScenarioMetrics = {
    ...shown.metrics,
    ...Object.fromEntries(TIME_METRICS.map((k) => [k, at(ran.map((r) => r.metrics[k]))])),
  };
  // Errored only when the errored runs alone sink it: had they held, every failed expectation
  // would have passed (a target judged on the runs that ran fails on its own).
  const erroredSankIt =
    errored.length > 0 &&
    expectations.every((e, i) => e.passed || (e.kind !== 'target' && ran.map((r) => r.expectations[i]).filter((x) => x?.passed).length + errored.length >= needed));
  const outcome = ran.length === 0 ? 'errored' : expectations.every((e) => e.passed) ? 'passed' : erroredSankIt ? 'errored' : 'failed';
  return {
    ...shown,
    outcome,
    metrics,
    expectations,
    durationSeconds: Math.round(runs.reduce((s, r) => s + r.durationSeconds, 0) * 100) / 100,
    repeat: { runs: runs.length, percentile: p, passedRuns: ran.filter((r) => r.outcome === 'passed').length, outcomes: runs.map((r) => r.outcome), stats },
    ...(outcome === 'errored' && errored[0]?.error ? { error: errored[0].error } : {}),
  };
}
