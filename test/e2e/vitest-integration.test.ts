import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/core/paths.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

/**
 * The vitest integration as a team uses it: vitest runs a test file of theirs
 * (test/fixtures/vitest/) that calls scenarioTests(). Each scenario is its own test; the failed
 * one shows the expectations that missed, the times and the timeline; the one that needs Loki is
 * skipped; the reports are written as `sandbox test` writes them (a new dir per run).
 */
describe('observability-sandbox/vitest in a team’s vitest run', () => {
  it('one test per scenario, a failure that says what missed and when, a skip, and the report files', async () => {
    const { env, stateDir } = await isolatedSandbox('e2e-vitest-');
    const fixture = join(PROJECT_ROOT, 'test/fixtures/vitest');
    const r = await run(process.execPath, [join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.config.ts'], fixture, env);
    expect(r.code, r.output).toBe(1);
    const out = r.output;
    expect(out).toMatch(/ScenarioFailure: service-crash failed: 3 of 6 expectations failed/);
    expect(out).toMatch(/✗ remediation restart ml-service: expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run/);
    expect(out).toMatch(/✗ resolved ServiceDown: /);
    expect(out).toMatch(/times: MTTD \d+(\.\d+)?s \(target 10s, bounds 2s–4\.3s\) · notify \d+(\.\d+)?s \(bounds 3s–5\.3s\) · remediate — · MTTR — \(target 30s\)/);
    expect(out).toMatch(/timeline:\n\s+0\.00s\s+scenario-start\s+scenario service-crash started/);
    expect(out).toMatch(/\d+\.\d\ds\s+fault-start\s+crash on ml-service/);
    expect(out).toMatch(/Tests\s+1 failed \| 1 skipped \(2\)/);

    // As with `sandbox test`: a new <state>/reports/<time> per run, never an earlier run's.
    const runs = readdirSync(join(stateDir, 'reports'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    const reportDir = join(stateDir, 'reports', runs[0]!);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { passed: boolean; scenarios: { name: string; outcome: string; error?: { code: string; message: string } }[] };
    expect(report.passed).toBe(false);
    expect(report.scenarios.map((s) => [s.name, s.outcome])).toEqual([
      ['service-crash', 'failed'],
      ['needs-loki', 'skipped'],
    ]);
    expect(report.scenarios[1]!.error).toMatchObject({ code: 'COMPONENT_UNAVAILABLE', message: expect.stringContaining('needs loki') });
    expect(readFileSync(join(reportDir, 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="service-crash"[\s\S]*<failure/);
    expect(existsSync(join(reportDir, 'report.html'))).toBe(true);
  }, 300_000);
});

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...env, CI: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vitest timed out:\n${output}`));
    }, 280_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
