import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSuite, suiteReportDir } from '../../../scripts/engine/suite-run.ts';
import { stateLayout } from '../../../scripts/runtime/state.ts';
import { caught } from '../../helpers/errors.ts';

/** The suite run's input checks: all of them before any sandbox starts (none can start here). */
describe('runSuite before anything starts', () => {
  it('refuses a --report-dir holding an earlier run’s reports, naming them, and starts nothing', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'suite-run-'));
    const reportDir = join(stateDir, 'ci-reports');
    mkdirSync(reportDir);
    writeFileSync(join(reportDir, 'junit.xml'), '<testsuites/>');
    const e = await runSuite({ scenarios: ['service-crash'], stateDir, reporters: ['terminal', 'json', 'junit'], reportDir }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('already holds junit.xml') });
    expect(e).toMatchObject({ hint: expect.stringContaining('--force') });
    expect(existsSync(stateLayout(stateDir).lockFile)).toBe(false);
  });

  it('writes to a new <state>/reports/<time> by default, and to a given dir with earlier reports only with force', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'suite-run-'));
    const now = suiteReportDir({ stateDir, reporters: ['json'] });
    expect(now).toMatch(new RegExp(`^${stateLayout(stateDir).reportsDir}/\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ$`));
    const given = join(stateDir, 'given');
    mkdirSync(given);
    writeFileSync(join(given, 'scorecard.json'), '{}');
    // Only the files these reporters write count: json's report.json is not there.
    expect(suiteReportDir({ stateDir, reporters: ['json', './my-reporter.mjs'], reportDir: given })).toBe(given);
    expect(caught(() => suiteReportDir({ stateDir, reporters: ['terminal,scorecard'], reportDir: given })).message).toContain('scorecard.json');
    expect(suiteReportDir({ stateDir, reporters: ['scorecard'], reportDir: given, force: true })).toBe(given);
  });

  it('refuses an --allow-rules path that is not a regular file, naming it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'suite-run-'));
    const e = await runSuite({ scenarios: ['service-crash'], stateDir, allowRules: [stateDir] }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(stateDir) });
    expect(existsSync(stateLayout(stateDir).lockFile)).toBe(false);
  });
});
