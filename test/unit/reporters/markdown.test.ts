import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown } from '../../../scripts/reporters/escape.ts';
import { MarkdownReporter, renderMarkdown, STEP_SUMMARY_LIMIT_BYTES } from '../../../scripts/reporters/markdown.ts';
import type { ScenarioResult } from '../../../scripts/scenario/result.ts';
import { erroredCrash, failedCrash, passedCrash, skipped, suite } from './fixtures.ts';

const tableRows = (text: string) => text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Scenario') && !l.startsWith('| ---'));
/** A table row's cells, split where GitHub splits them: at a `|` that is not escaped. */
const cells = (row: string) => row.slice(2, -2).split(/(?<!\\) \| /);

describe('report.md', () => {
  it('one row per scenario: outcome, MTTD against target and ceiling (and as a fraction of it), time to notify, MTTR, what failed', () => {
    const text = renderMarkdown(suite([passedCrash(), failedCrash(), erroredCrash(), skipped()]));
    expect(text.split('\n').slice(0, 3)).toEqual(['## Observability sandbox: ❌ not passed', '', '1 passed, 1 failed, 1 skipped, 1 errored · native runtime · 83.2s']);
    expect(text).toContain('| Scenario | Outcome | MTTD (target · ceiling) | Time to notify | MTTR (target) | Failed expectations |');
    const rows = tableRows(text).map(cells);
    expect(rows).toEqual([
      ['service-crash', '✅ passed', '3.1s = 0.78× ceiling (target 10s · ceiling 4s)', '4.21s', '12.6s (target 30s)', ''],
      [
        'service-crash-no-remediation',
        '❌ failed',
        '3.1s = 0.78× ceiling (target 10s · ceiling 4s)',
        '4.21s',
        '— (target 30s)',
        [
          '✗ remediation restart ml-service: expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run',
          '✗ resolved ServiceDown: expected alert ServiceDown resolved within 30s, but it was still firing when the scenario ended',
          '✗ target MTTR: expected MTTR within 30s, but ServiceDown never resolved',
        ].join('<br>'),
      ],
      ['latency-spike', '⚠️ errored', '— (target 30s · ceiling 4s)', '—', '— (target 120s)', '**INJECTION\\_FAILED**: chaos API of ml-service answered 503 to POST /chaos/latency (hint: check \\`npx sandbox logs ml-service\\`)'],
      ['dependency-outage', '⏭️ skipped', '— (target 20s)', '—', '—', ''],
    ]);
  });

  it('says so when everything passed, and when nothing ran', () => {
    expect(renderMarkdown(suite([passedCrash()])).split('\n')[0]).toBe('## Observability sandbox: ✅ passed');
    expect(renderMarkdown(suite([]))).toContain('No scenarios ran.');
  });

  it('escapes Markdown in names and messages: no table broken, no link, image, HTML or emphasis injected', () => {
    const evil: ScenarioResult = {
      ...failedCrash('a|b *bold* [x](http://e.com) ![i](y) <img src=x> `code` $x$ ~s~ _i_'),
      expectations: [{ kind: 'alert', name: 'A|B', passed: false, observedSeconds: null, withinSeconds: 5, message: 'line one\nline two | <script>alert(1)</script> &amp;' }],
    };
    const text = renderMarkdown(suite([evil]));
    const [row] = tableRows(text).map(cells);
    expect(row).toHaveLength(6);
    expect(row![0]).toBe('a\\|b \\*bold\\* \\[x\\](http://e.com) \\!\\[i\\](y) \\<img src=x\\> \\`code\\` \\$x\\$ \\~s\\~ \\_i\\_');
    expect(row![5]).toBe('✗ alert A\\|B: line one<br>line two \\| \\<script\\>alert(1)\\</script\\> \\&amp;');
    expect(text).not.toMatch(/(?<!\\)<(img|script)/);
  });

  it('escapeMarkdown leaves plain text alone', () => {
    expect(escapeMarkdown('ml-service: 3.1s (within 10s), 50% of 2/4')).toBe('ml-service: 3.1s (within 10s), 50% of 2/4');
  });
});

describe('MarkdownReporter', () => {
  it('writes report.md into the report dir, creating it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'md-')), 'reports');
    await new MarkdownReporter(dir, {}).onSuiteEnd(suite([failedCrash()]));
    expect(readdirSync(dir)).toEqual(['report.md']);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe(renderMarkdown(suite([failedCrash()])));
  });

  it('appends the summary to $GITHUB_STEP_SUMMARY, keeping what earlier steps wrote', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'md-summary-'));
    const summary = join(tmp, 'step_summary');
    writeFileSync(summary, '## Build\n\nok\n');
    const report = suite([passedCrash(), failedCrash()]);
    await new MarkdownReporter(join(tmp, 'reports'), { GITHUB_STEP_SUMMARY: summary }).onSuiteEnd(report);
    await new MarkdownReporter(join(tmp, 'reports'), { GITHUB_STEP_SUMMARY: summary }).onSuiteEnd(report);
    expect(readFileSync(summary, 'utf8')).toBe(`## Build\n\nok\n${renderMarkdown(report)}\n${renderMarkdown(report)}\n`);
    expect(readFileSync(join(tmp, 'reports', 'report.md'), 'utf8')).toBe(renderMarkdown(report));
  });

  it('keeps a summary GitHub would refuse (over 1 MiB) to its table, and points at report.md', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'md-big-'));
    const summary = join(tmp, 'step_summary');
    const big = failedCrash();
    big.expectations = big.expectations.map((e) => ({ ...e, message: 'x'.repeat(STEP_SUMMARY_LIMIT_BYTES / 2) }));
    await new MarkdownReporter(join(tmp, 'reports'), { GITHUB_STEP_SUMMARY: summary }).onSuiteEnd(suite([big]));
    const written = readFileSync(summary, 'utf8');
    expect(Buffer.byteLength(written)).toBeLessThan(10_000);
    expect(tableRows(written).map(cells)[0]![5]).toBe('3 of 6');
    expect(written).toContain('in report.md in the report dir');
    expect(readFileSync(join(tmp, 'reports', 'report.md'), 'utf8').length).toBeGreaterThan(STEP_SUMMARY_LIMIT_BYTES);
  });

  it('a GITHUB_STEP_SUMMARY it cannot write is a SandboxError naming the file', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'md-bad-'));
    const summary = join(tmp, 'no-such-dir', 'summary');
    await expect(new MarkdownReporter(join(tmp, 'reports'), { GITHUB_STEP_SUMMARY: summary }).onSuiteEnd(suite([passedCrash()]))).rejects.toMatchObject({
      name: 'SandboxError',
      code: 'WRITE_FAILED',
      message: expect.stringContaining(summary),
    });
  });
});
