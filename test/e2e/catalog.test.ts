import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../scripts/core/paths.ts';
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
      scenarios: {
        name: string;
        outcome: string;
        expectations: { passed: boolean; message: string }[];
        error?: { message: string };
        timeline: { kind: string; alert?: string; receiver?: string; action?: string }[];
      }[];
    };
    const failures = report.scenarios
      .filter((s) => s.outcome !== 'passed')
      .map((s) => `${s.name} ${s.outcome}: ${s.error?.message ?? s.expectations.filter((e) => !e.passed).map((e) => e.message).join('; ')}`);
    expect(failures, r.stdout.slice(-3000)).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.scenarios.length).toBeGreaterThanOrEqual(10);

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
  }, 600_000);
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
