import type { ScenarioResult } from '../scenario/result.ts';
import { bounds, expectationLine, failureSummary, seconds } from './format.ts';

/**
 * One scenario's result as plain text for a person reading a test failure: the verdict, every
 * expectation that missed (expected and observed), the measured times beside their targets and
 * the configuration's bounds, and the whole timeline. The vitest integration's failure message.
 */
export function scenarioText(result: ScenarioResult): string {
  const lines: string[] = [];
  if (result.outcome === 'failed') {
    lines.push(`${result.name} failed: ${failureSummary(result)}`);
    for (const e of result.expectations.filter((x) => !x.passed)) lines.push(`  ✗ ${expectationLine(e)}`);
  } else if (result.error) {
    lines.push(`${result.name} ${result.outcome}: [${result.error.code}] ${result.error.message}`);
    if (result.error.hint) lines.push(`  hint: ${result.error.hint}`);
  } else {
    lines.push(`${result.name} ${result.outcome}`);
  }
  lines.push(timesLine(result));
  if (result.repeat) lines.push(`runs: ${result.repeat.passedRuns}/${result.repeat.runs} passed (${result.repeat.outcomes.join(', ')}), times at p${result.repeat.percentile}`);
  if (result.timeline.length > 0) {
    lines.push(`timeline${result.repeat ? ' (of the run shown in the report)' : ''}:`);
    for (const e of result.timeline) lines.push(`  ${`${e.t.toFixed(2)}s`.padStart(8)}  ${e.kind.padEnd(16)} ${e.detail}`);
  }
  return lines.join('\n');
}

function timesLine(result: ScenarioResult): string {
  const m = result.metrics;
  const t = result.targets;
  const target = (v: number | null) => (v === null ? '' : `, target ${seconds(v)}`);
  const range = (floor: number | null, ceiling: number | null) => {
    const b = bounds(floor, ceiling);
    return b ? `, bounds ${b}` : '';
  };
  return [
    `times: MTTD ${seconds(m.mttdSeconds)} (${[target(t.mttdSeconds), range(m.detectionFloorSeconds, m.detectionCeilingSeconds)].join('').slice(2) || 'no target'})`,
    `notify ${seconds(m.timeToNotifySeconds)}${range(m.notificationFloorSeconds, m.notificationCeilingSeconds) ? ` (${range(m.notificationFloorSeconds, m.notificationCeilingSeconds).slice(2)})` : ''}`,
    `remediate ${seconds(m.timeToRemediateSeconds)}`,
    `MTTR ${seconds(m.mttrSeconds)}${t.mttrSeconds === null ? '' : ` (target ${seconds(t.mttrSeconds)})`}`,
  ].join(' · ');
}
