import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderRunbookLinks, renderRunbookLinksIn } from '../../../scripts/runtime/config/runbook-links.ts';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';
import { copyScenarioRules } from '../../../scripts/scenario/prepare.ts';
import { lintAlerts } from '../../../scripts/scenario/lint.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';

const RULES = join(PROJECT_ROOT, 'compose/prometheus/rules');

/** Every alert's runbook_url in the rule files of `dir`, by alert name. */
function runbookUrls(dir: string): [string, string][] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[] }).groups)
    .flatMap((g) => g.rules)
    .filter((r) => r.alert)
    .map((r) => [r.alert!, r.annotations?.runbook_url ?? '']);
}

describe('runbook links follow the port offset', () => {
  it('a sandbox at another offset renders every alert’s link to its own control API, and lint still finds each page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-links-'));
    cpSync(RULES, dir, { recursive: true });
    const control = portPlan(1300).control;
    renderRunbookLinksIn(dir, `http://127.0.0.1:${control}`);
    const urls = runbookUrls(dir);
    expect(urls.length).toBeGreaterThan(15);
    for (const [alert, url] of urls) {
      const page = alert.startsWith('SLOErrorBudgetBurn') ? 'SLOErrorBudgetBurn' : alert;
      expect(url, alert).toBe(`http://127.0.0.1:${control}/runbooks/${page}`);
    }
    // The rendered copy is what Prometheus loads; `sandbox lint` resolves each link to runbooks/<page>.md.
    const runbookProblems = lintAlerts({ rulesDir: dir }).problems.filter((p) => /runbook/.test(p.message));
    expect(runbookProblems).toEqual([]);
  });

  it('changes nothing but the links: comments, other 9400s and the rest of the file stay as written', () => {
    const text = [
      '# runbook: http://127.0.0.1:9400/runbooks/ServiceDown',
      "expr: up{instance=\"127.0.0.1:9400\"} == 0",
      'annotations: { runbook_url: "http://127.0.0.1:9400/runbooks/ServiceDown", dashboard: "http://127.0.0.1:9400/status" }',
      '',
    ].join('\n');
    expect(renderRunbookLinks(text, 'http://127.0.0.1:10400/')).toBe(
      [
        '# runbook: http://127.0.0.1:10400/runbooks/ServiceDown',
        "expr: up{instance=\"127.0.0.1:9400\"} == 0",
        'annotations: { runbook_url: "http://127.0.0.1:10400/runbooks/ServiceDown", dashboard: "http://127.0.0.1:9400/status" }',
        '',
      ].join('\n'),
    );
    // At the default port the files are exactly the repository's.
    expect(renderRunbookLinks(text, 'http://127.0.0.1:9400')).toBe(text);
  });

  it('leaves a link to someone else’s runbook host alone', () => {
    const text = 'runbook_url: https://wiki.example.com/runbooks/ServiceDown\n';
    expect(renderRunbookLinks(text, 'http://127.0.0.1:10400')).toBe(text);
  });

  it('a scenario’s own rule files get the same rendering when the run installs them', () => {
    const src = mkdtempSync(join(tmpdir(), 'scenario-rules-src-'));
    const dest = mkdtempSync(join(tmpdir(), 'scenario-rules-'));
    const file = join(src, 'extra.yaml');
    writeFileSync(file, 'groups: [{ name: g, rules: [{ alert: Mine, expr: up == 0, annotations: { runbook_url: "http://127.0.0.1:9400/runbooks/Mine" } }] }]\n');
    copyScenarioRules([file], dest, 'http://127.0.0.1:10400');
    expect(readdirSync(dest)).toEqual(['0-extra.yml']);
    expect(runbookUrls(dest)).toEqual([['Mine', 'http://127.0.0.1:10400/runbooks/Mine']]);
  });
});
