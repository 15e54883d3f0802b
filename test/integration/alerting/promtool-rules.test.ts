import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * The alerting rules as promtool sees them: valid (Prometheus 2.42's promtool; the files avoid
 * 3.x-only syntax), unit-tested (compose/prometheus/tests), and every alert carries what routes,
 * playbooks and on-call people rely on.
 */

const ROOT = join(import.meta.dirname, '../../..');
const PROM = join(ROOT, 'compose/prometheus');
const RUNBOOKS = join(ROOT, 'runbooks');
const RUNBOOK_BASE = 'http://127.0.0.1:9400/runbooks/';

const yamlIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(dir, f))
    : [];
const ruleFiles = yamlIn(join(PROM, 'rules'));
const productionRuleFiles = yamlIn(join(PROM, 'rules-production'));
const testFiles = yamlIn(join(PROM, 'tests'));
const rel = (p: string) => relative(ROOT, p);

function promtool(args: string[]): { status: number; output: string } {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool is not on PATH: run `npm test` (its pretest step installs Prometheus with promtool), or install the Debian package `prometheus`');
  }
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertRule extends Rule {
  alert: string;
  file: string;
}

const alerts: AlertRule[] = ruleFiles.flatMap((file) => {
  const doc = parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules.filter((r): r is AlertRule => typeof r.alert === 'string').map((r) => ({ ...r, file: rel(file) })));
});
const alertNames = [...new Set(alerts.map((a) => a.alert))].sort();

const AGGREGATION = /\b(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)\s*(?:(by|without)\s*\(([^)]*)\))?\s*\(/g;
/** Scrape jobs whose series carry service="<name>" (target label, or the metric's own label). */
const SERVICE_JOBS = /job="(sample-services|blackbox|sandbox)"/;

/** Where an alert's `service` label comes from, or null when it has none. */
export function serviceLabelSource(rule: Rule): string | null {
  if (rule.labels?.service) return 'rule label';
  const aggregations = [...rule.expr.matchAll(AGGREGATION)];
  const keepsService = (m: RegExpMatchArray) => m[2] === 'by' && /\bservice\b/.test(m[3] ?? '');
  if (aggregations.length > 0) {
    // The outermost aggregation decides what survives; require every one to keep service.
    return aggregations.every(keepsService) ? 'by (service)' : null;
  }
  if (SERVICE_JOBS.test(rule.expr)) return 'selected series carry service';
  // Recording rules named level:metric:op whose level includes service (service:, service_route:).
  const names = [...rule.expr.matchAll(/\b([a-z_]+):[a-z_0-9]+:[a-z_0-9]+/g)].map((m) => m[1]!);
  if (names.length > 0 && names.every((level) => level.split('_').includes('service'))) return 'recording rule aggregated by service';
  return null;
}

describe('promtool', () => {
  it('finds rule files to check', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(productionRuleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
  });

  it('promtool check config accepts prometheus.yml with every rule file it loads (target files are written per sandbox)', () => {
    const r = promtool(['check', 'config', join(PROM, 'prometheus.yml')]);
    if (r.status !== 0) throw new Error(`promtool check config failed (exit ${r.status}):\n${r.output}`);
    // Only the per-sandbox file_sd files may be missing here; every rule file must be found and pass.
    const warnings = r.output.split('\n').filter((l) => /WARNING/.test(l));
    expect(warnings.filter((l) => !/for file_sd in (scrape job .*|alertmanager config) does not exist/.test(l))).toEqual([]);
    expect(r.output.match(/SUCCESS: \d+ rules found/g)?.length).toBe(ruleFiles.length);
  });

  it.each([...ruleFiles, ...productionRuleFiles].map((f) => [rel(f), f]))('promtool check rules %s', (_name, file) => {
    const r = promtool(['check', 'rules', file]);
    if (r.status !== 0) throw new Error(`promtool check rules ${rel(file)} failed (exit ${r.status}):\n${r.output}`);
  });

  it.each(testFiles.map((f) => [rel(f), f]))('promtool test rules %s', (_name, file) => {
    const r = promtool(['test', 'rules', file]);
    if (r.status !== 0) throw new Error(`promtool test rules ${rel(file)} failed (exit ${r.status}):\n${r.output}`);
    expect(r.output).toContain('SUCCESS');
  });
});

describe('every alert', () => {
  it('there are alerts', () => expect(alertNames.length).toBeGreaterThan(10));

  it.each(alerts.map((a) => [a.alert, a.file, a]))('%s (%s) has severity, service, summary, description and runbook_url', (_n, _f, rule) => {
    const a = rule as AlertRule;
    expect(['critical', 'warning', 'info'], `${a.alert}: severity`).toContain(a.labels?.severity);
    expect(serviceLabelSource(a), `${a.alert}: no service label (set it, or keep it through by (service))`).not.toBeNull();
    expect(a.annotations?.summary?.trim(), `${a.alert}: summary`).toBeTruthy();
    expect(a.annotations?.description?.trim(), `${a.alert}: description`).toBeTruthy();
    expect(a.annotations?.description, `${a.alert}: description should show the value`).toMatch(/\$value/);
    expect(a.annotations?.runbook_url, `${a.alert}: runbook_url`).toBe(`${RUNBOOK_BASE}${a.alert}`);
    if (a.for !== undefined) expect(a.for, `${a.alert}: for`).toMatch(/^(\d+(ms|s|m|h))+$/);
  });

  it.each(alertNames)('%s has a runbook page', (name) => {
    const page = join(RUNBOOKS, `${name}.md`);
    expect(existsSync(page), `runbooks/${name}.md is missing`).toBe(true);
    const text = readFileSync(page, 'utf8');
    expect(text).toMatch(new RegExp(`^# ${name}\\b`));
    for (const section of ['## What it means', '## Confirm it', '## Likely causes', '## Fix it', '## The rule']) expect(text, `${name}: ${section}`).toContain(section);
  });

  it.each(alertNames)('%s has promtool tests for firing and for staying quiet', (name) => {
    const cases = testFiles.flatMap((file) => {
      const doc = parse(readFileSync(file, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      return doc.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === name));
    });
    expect(cases.some((c) => (c.exp_alerts ?? []).length > 0), `${name}: no test case where it fires`).toBe(true);
    expect(cases.some((c) => (c.exp_alerts ?? []).length === 0), `${name}: no test case where it stays quiet`).toBe(true);
  });

  it('ServiceDown keeps the contract the crash scenario and detection bounds rely on', () => {
    const down = alerts.find((a) => a.alert === 'ServiceDown');
    expect(down?.file).toBe('compose/prometheus/rules/availability.yml');
    expect(down?.expr.trim()).toBe('up{job="sample-services"} == 0');
    expect(down?.for).toBe('2s');
    expect(down?.labels?.severity).toBe('critical');
  });

  it('the service-label check catches an aggregation that drops service', () => {
    expect(serviceLabelSource({ expr: 'sum(rate(x{job="sample-services"}[1m])) > 1' })).toBeNull();
    expect(serviceLabelSource({ expr: 'sum by (service) (rate(x[1m])) > 1' })).toBe('by (service)');
    expect(serviceLabelSource({ expr: 'cluster:x:rate1m > 1' })).toBeNull();
  });
});
