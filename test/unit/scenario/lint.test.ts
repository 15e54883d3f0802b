import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintAlerts } from '../../../scripts/scenario/lint.ts';

function fixture(rules: string, scenario: string, runbooks: string[] = []) {
  const root = mkdtempSync(join(tmpdir(), 'lint-'));
  for (const d of ['rules', 'scenarios', 'runbooks']) mkdirSync(join(root, d));
  writeFileSync(join(root, 'rules', 'a.yml'), rules);
  writeFileSync(join(root, 'scenarios', 's.yaml'), scenario);
  for (const r of runbooks) writeFileSync(join(root, 'runbooks', `${r}.md`), `# ${r}\n`);
  return { rulesDir: join(root, 'rules'), scenariosDir: join(root, 'scenarios'), runbooksDir: join(root, 'runbooks') };
}

const SCENARIO = `name: s
load: { rate: 0, duration: 10s }
faults: [{ type: crash, service: ml-service, at: 1s }]
expect:
  - alert: Covered
`;

describe('sandbox lint', () => {
  it('passes a complete, covered alert', () => {
    const rules = `groups:
  - name: g
    rules:
      - alert: Covered
        expr: up == 0
        labels: { severity: critical }
        annotations: { summary: down, runbook_url: http://127.0.0.1:9400/runbooks/Covered }
`;
    expect(lintAlerts(fixture(rules, SCENARIO, ['Covered'])).problems).toEqual([]);
  });

  it('names each missing piece with its file, line and alert, all at once', () => {
    const rules = `groups:
  - name: g
    rules:
      - record: x
        expr: up
      - alert: Covered
        expr: up == 0
        labels: { severity: page }
        annotations: { summary: down, runbook_url: http://127.0.0.1:9400/runbooks/Covered }
      - alert: Uncovered
        expr: up == 0
        labels: { severity: warning }
        annotations: { description: no summary here }
`;
    const { problems } = lintAlerts(fixture(rules, SCENARIO));
    expect(problems.map((p) => `${p.line} ${p.alert}: ${p.message}`)).toEqual([
      '6 Covered: labels.severity is "page"; use one of critical, warning, info',
      '6 Covered: runbook_url points at runbooks/Covered.md, which does not exist',
      '10 Uncovered: annotations.summary is missing: say in one line what is wrong, with the value',
      '10 Uncovered: annotations.runbook_url is missing: link the page under runbooks/ that says how to confirm and fix it',
      expect.stringMatching(/^10 Uncovered: no scenario in .* expects Uncovered/),
    ]);
  });

  it('counts a /regex/ expectation as coverage', () => {
    const rules = `groups: [{ name: g, rules: [{ alert: HighLatencyP95, expr: up, labels: { severity: warning }, annotations: { summary: s, runbook_url: x/runbooks/HighLatencyP95 } }] }]\n`;
    const scenario = SCENARIO.replace('alert: Covered', 'alert: /HighLatency.*/');
    expect(lintAlerts(fixture(rules, scenario, ['HighLatencyP95'])).problems).toEqual([]);
  });
});
