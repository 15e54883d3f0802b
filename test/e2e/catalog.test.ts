import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

/**
 * The whole built-in catalog, as CI runs it: `sandbox test scenarios/` on parallel sandboxes.
 * Every scenario must pass; on failure the message shows each failing expectation.
 */
describe('the built-in scenario catalog', () => {
  it('passes as a whole through `sandbox test scenarios/ --parallel 2`', async () => {
    const { env, stateDir } = await isolatedSandbox('e2e-catalog-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'scenarios/', '--runtime', 'native', '--parallel', '2', '-q', '--report-dir', reportDir], env, 560_000);
    expect(existsSync(join(reportDir, 'report.json')), `no report.json; the CLI said:\n${r.stdout}\n${r.stderr}`).toBe(true);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as {
      passed: boolean;
      durationSeconds: number;
      scenarios: { name: string; outcome: string; expectations: { passed: boolean; message: string }[]; error?: { message: string } }[];
    };
    const failures = report.scenarios
      .filter((s) => s.outcome !== 'passed')
      .map((s) => `${s.name} ${s.outcome}: ${s.error?.message ?? s.expectations.filter((e) => !e.passed).map((e) => e.message).join('; ')}`);
    expect(failures, r.stdout.slice(-3000)).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.scenarios.length).toBeGreaterThanOrEqual(10);
  }, 600_000);
});
