import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../../scripts/core/errors.ts';
import { createReporters, reporterNames } from '../../../scripts/reporters/index.ts';
import { passedCrash, suite } from './fixtures.ts';

describe('createReporters', () => {
  it('knows terminal, json, junit, html and markdown', () => {
    expect(reporterNames).toEqual(['terminal', 'json', 'junit', 'html', 'markdown']);
  });

  it('creates reporters in the order named, each once, accepting comma lists', () => {
    const names = createReporters(['html', 'json,junit', 'json', ' Terminal '], { reportDir: '/nonexistent' }).map((r) => r.name);
    expect(names).toEqual(['html', 'json', 'junit', 'terminal']);
    expect(createReporters([], { reportDir: '/nonexistent' })).toEqual([]);
  });

  it('rejects unknown names before anything runs, listing the known ones', () => {
    let caught: unknown;
    try {
      createReporters(['json', 'xml', 'tap'], { reportDir: '/nonexistent' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SandboxError);
    expect(caught).toMatchObject({ code: 'INVALID_ARGUMENT', exitCode: 2, message: 'unknown reporters: xml, tap', hint: 'known reporters: terminal, json, junit, html, markdown' });
  });

  it('wires the report dir, stream and quiet mode through', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'reporters-')), 'out');
    const chunks: string[] = [];
    const summary = join(dir, '..', 'step-summary.md');
    const reporters = createReporters([...reporterNames], { reportDir: dir, quiet: true, stream: { write: (s: string) => chunks.push(s) }, env: { GITHUB_STEP_SUMMARY: summary } });
    const result = passedCrash();
    for (const r of reporters) {
      r.onScenarioStart?.(result.name);
      for (const e of result.timeline) r.onEvent?.(result.name, e);
      r.onScenarioEnd?.(result);
    }
    for (const r of reporters) await r.onSuiteEnd(suite([result]));
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    expect(readFileSync(summary, 'utf8')).toContain('| service-crash | ✅ passed |');
    const text = chunks.join('');
    expect(text).not.toContain('fault-start');
    expect(text.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
  });
});
