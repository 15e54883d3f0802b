import { describe, expect, it } from 'vitest';
import { formatLintProblem, lintAlerts } from '../../../scripts/scenario/lint.ts';

/** `sandbox lint` on the project itself: every shipped alert is complete and covered. */
describe('the shipped rules and scenarios', () => {
  it('pass sandbox lint', () => {
    const { problems, alerts, scenarios } = lintAlerts();
    expect(problems.map(formatLintProblem)).toEqual([]);
    expect(alerts).toBeGreaterThanOrEqual(18);
    expect(scenarios).toBeGreaterThanOrEqual(10);
  });
});
