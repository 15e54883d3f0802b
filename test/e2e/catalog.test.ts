import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../scripts/core/paths.ts';
import { scenarioTests } from '../../scripts/vitest/index.ts';

/**
 * The whole built-in catalog, through the vitest integration a team would use
 * (`observability-sandbox/vitest`): two sandboxes side by side, every scenario its own test; a
 * failure shows the expectation that missed, the times and the timeline. Then the routing over
 * the whole catalog, from the report.json the integration wrote.
 */
const suite = scenarioTests(['scenarios/'], {
  name: 'the built-in scenario catalog',
  runtime: 'native',
  sandboxes: 2,
  stateDir: mkdtempSync(join(tmpdir(), 'e2e-catalog-')),
  // No markdown: the suite's own runs must not write into the summary of the CI job running them.
  reporters: ['json', 'junit', 'html'],
});

describe('the catalog as a whole', () => {
  it('wrote the reports, every scenario in them, and routed every delivery where alertmanager.yml sends it', () => {
    const file = join(suite.reportDir, 'report.json');
    expect(existsSync(file), `no report.json in ${suite.reportDir}`).toBe(true);
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      scenarios: { name: string; outcome: string; timeline: { kind: string; alert?: string; receiver?: string; action?: string }[] }[];
    };
    expect(report.scenarios.length).toBeGreaterThanOrEqual(10);
    expect(readFileSync(join(suite.reportDir, 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="service-crash"/);

    // Routing on the real stack: every delivery went only where alertmanager.yml sends the
    // alert's severity, every remediation came from an alert the controller should hear, and
    // each route delivered at least once over the catalog.
    const intended: Record<string, string[]> = { critical: ['pagerduty', 'slack', 'sns'], warning: ['slack'], info: ['log'] };
    const severity = alertSeverities();
    const misrouted: string[] = [];
    const delivered = new Set<string>();
    for (const s of report.scenarios) {
      for (const e of s.timeline) {
        // An alert name can carry more than one severity (SLO burn: page and ticket pairs).
        const sevs = [...(severity.get(e.alert ?? '') ?? ['none'])];
        if (e.kind === 'notification') {
          const routes = sevs.filter((sev) => (intended[sev] ?? ['log']).includes(e.receiver!));
          for (const sev of routes) delivered.add(`${sev} → ${e.receiver}`);
          if (routes.length === 0) misrouted.push(`${s.name}: ${e.alert} (${sevs.join('|')}) reached ${e.receiver}`);
        }
        if (e.kind === 'remediation' && !sevs.some((sev) => sev === 'critical' || sev === 'warning')) misrouted.push(`${s.name}: ${e.action} ran for ${e.alert} (${sevs.join('|')})`);
      }
    }
    expect(misrouted).toEqual([]);
    expect([...delivered]).toEqual(expect.arrayContaining(['critical → pagerduty', 'critical → slack', 'warning → slack', 'info → log']));
  });
});

/** alertname → its severities, from the rule files Prometheus loads. */
function alertSeverities(): Map<string, Set<string>> {
  const dir = join(PROJECT_ROOT, 'compose/prometheus/rules');
  const map = new Map<string, Set<string>>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yml'))) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { groups: { rules: { alert?: string; labels?: { severity?: string } }[] }[] };
    for (const r of doc.groups.flatMap((g) => g.rules)) if (r.alert && r.labels?.severity) map.set(r.alert, (map.get(r.alert) ?? new Set<string>()).add(r.labels.severity));
  }
  return map;
}
