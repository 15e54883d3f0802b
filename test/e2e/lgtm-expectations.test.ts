import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBinary } from '../../scripts/runtime/native/binaries.ts';
import { loki } from '../../scripts/stack/components/loki.ts';
import { tempo } from '../../scripts/stack/components/tempo.ts';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

const haveBackends = Boolean(findBinary(loki.binaries) && findBinary(tempo.binaries));

/**
 * scenarios/lgtm/error-traces.yaml (logs, trace, correlation) on a native sandbox without Loki
 * and Tempo: the real CLI must end it `skipped` before any load starts, naming the components,
 * why they are unavailable and how to get them, in every reporter; never passed, failed or errored.
 */
describe.skipIf(haveBackends)('logs/trace/correlation expectations where Loki and Tempo are unavailable', () => {
  it('skips the scenario with the reason and install hint, without running it', async () => {
    const { env, stateDir } = await isolatedSandbox('e2e-lgtm-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'scenarios/lgtm/error-traces.yaml', '--runtime', 'native', '-q', '--report-dir', reportDir], env, 120_000);
    // Skipped for an optional part is no failure of the suite (exit 0), as in JUnit.
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(existsSync(join(reportDir, 'report.json')), `no report.json; the CLI said:\n${r.stdout}\n${r.stderr}`).toBe(true);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report.passed).toBe(true);
    const [s] = report.scenarios;
    expect(s).toMatchObject({ name: 'lgtm-error-traces', outcome: 'skipped', expectations: [], timeline: [] });
    expect(s.load).toBeUndefined();
    expect(s.error.code).toBe('COMPONENT_UNAVAILABLE');
    expect(s.error.message).toContain('needs loki (for its logs, correlation expectations), which is unavailable here: no loki');
    expect(s.error.hint).toContain(loki.installHint);
    expect(s.error.message).toContain('needs tempo (for its trace, correlation expectations), which is unavailable here');
    expect(s.error.hint).toContain(tempo.installHint);
    // The terminal and JUnit say it too.
    expect(r.stdout).toMatch(/SKIP\s+lgtm-error-traces.*needs loki/);
    const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<skipped message="scenario lgtm-error-traces needs loki/);
    expect(junit).toMatch(/skipped="1"/);
  }, 180_000);
});
