import type { Outcome, ScenarioResult } from '../scenario/result.ts';

/** Text helpers every reporter shares, so the terminal, JUnit and HTML say the same thing. */

/** `4.2s`; `—` when the moment never came (null) or is not a number. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${Math.round(value * 100) / 100}s`;
}

/** `2s–4s`, or what is known of it; empty when the configuration gave no bounds. */
export function bounds(floor: number | null, ceiling: number | null): string {
  if (floor === null && ceiling === null) return '';
  if (floor !== null && ceiling !== null) return `${seconds(floor)}–${seconds(ceiling)}`;
  return floor !== null ? `floor ${seconds(floor)}` : `ceiling ${seconds(ceiling)}`;
}

/** `0.74× ceiling`; empty when there is no fraction. */
export function ofCeilingText(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined || !Number.isFinite(fraction) ? '' : `${fraction.toFixed(2)}× ceiling`;
}

/** One line per alert expectation with model bounds: `ServiceDown 3.2s = 0.74× ceiling (floor 2s, ceiling 4.3s)`. */
export function alertBoundsLines(result: ScenarioResult): string[] {
  return result.expectations
    .filter((e) => e.kind === 'alert' && e.ceilingSeconds !== undefined)
    .map((e) => {
      const frac = ofCeilingText(e.ofCeiling);
      return `${e.name} ${seconds(e.observedSeconds)}${frac ? ` = ${frac}` : ''} (floor ${seconds(e.floorSeconds)}, ceiling ${seconds(e.ceilingSeconds)})`;
    });
}

export type OutcomeCounts = Record<Outcome, number>;

export function countOutcomes(scenarios: readonly ScenarioResult[]): OutcomeCounts {
  const counts: OutcomeCounts = { passed: 0, failed: 0, errored: 0, skipped: 0 };
  for (const s of scenarios) counts[s.outcome]++;
  return counts;
}

/**
 * The closing line CI tooling matches: exactly `N passed, N failed`, optionally followed by
 * `, N skipped`. Errored scenarios are reported on their own line (see erroredLine) so this
 * form never changes.
 */
export function closingLine(counts: OutcomeCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
}

/** What an unmet expectation needed and what happened, on one line. */
export function expectationLine(e: { kind: string; name: string; message: string; observedSeconds: number | null; withinSeconds: number | null }): string {
  const observed = e.observedSeconds === null ? 'never' : seconds(e.observedSeconds);
  const within = e.withinSeconds === null ? '' : `, within ${seconds(e.withinSeconds)}`;
  return `${e.kind} ${e.name}: ${e.message} [observed ${observed}${within}]`;
}

/** `2 of 6 expectations failed`. */
export function failureSummary(result: ScenarioResult): string {
  const failed = result.expectations.filter((e) => !e.passed).length;
  return `${failed} of ${result.expectations.length} expectation${result.expectations.length === 1 ? '' : 's'} failed`;
}
