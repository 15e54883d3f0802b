import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';
import { FAULT_ANNOTATION_TAGS, faultAnnotationTags } from '../../../scripts/scenario/observers/grafana-annotations.ts';
import { allPanels, dashboardQueries, loadDashboards, renderVariables, variableSelector, type DatasourceRef } from '../../../scripts/stack/dashboards.ts';

const dashboards = loadDashboards();
const queries = dashboardQueries();
const provisioned = parse(readFileSync(join(PROJECT_ROOT, 'compose/grafana/provisioning/datasources/sandbox.yaml'), 'utf8')) as {
  datasources: { uid: string; type: string }[];
};
const uids = new Map(provisioned.datasources.map((d) => [d.uid, d.type]));

/** PromQL syntax errors, as lezer-promql (the grammar Prometheus' own UI uses) finds them. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`at ${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`);
    },
  });
  return errors;
}

/** Metric names a PromQL expression selects. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.name === 'Identifier' && n.node.parent?.type.name === 'VectorSelector') names.push(expr.slice(n.from, n.to));
    },
  });
  return names;
}

/** What Prometheus can have: the sample services' and sandbox's metrics, read from their code. */
function knownMetrics(): Set<string> {
  const known = new Set<string>(['up', 'ALERTS', 'ALERTS_FOR_STATE']);
  const read = (f: string) => readFileSync(join(PROJECT_ROOT, f), 'utf8');
  const fromCode = (text: string) => [...text.matchAll(/name: '([a-z_:]+)'/g)].map((m) => m[1]!);
  const sources = [
    ...['sample-services/shared/metrics.ts', 'sample-services/ml-service/metrics.ts', 'sample-services/api-gateway/metrics.ts'],
    'scripts/runtime/supervisor.ts',
  ];
  for (const f of sources) for (const n of fromCode(read(f))) known.add(n);
  // prom-client's default metrics, by the names its own source gives them.
  const pc = join(PROJECT_ROOT, 'node_modules/prom-client/lib/metrics');
  for (const f of readdirSync(pc).filter((x) => x.endsWith('.js'))) for (const m of read(join('node_modules/prom-client/lib/metrics', f)).matchAll(/= '((?:nodejs|process)_[a-z0-9_]+)'/g)) known.add(m[1]!);
  // Recording rules the sandbox loads.
  const rules = join(PROJECT_ROOT, 'compose/prometheus/rules');
  for (const f of readdirSync(rules).filter((x) => x.endsWith('.yml'))) for (const m of read(join('compose/prometheus/rules', f)).matchAll(/record: ([a-zA-Z_:][\w:]*)/g)) known.add(m[1]!);
  // Alertmanager's own metrics (scraped by the alertmanager job).
  for (const n of ['alertmanager_alerts', 'alertmanager_notifications_total', 'alertmanager_notifications_failed_total']) known.add(n);
  // The notification sink's and remediation controller's counters, as issue 6 names them.
  for (const n of ['notifications_received_total', 'remediation_actions_total']) known.add(n);
  for (const n of [...known]) for (const suffix of ['_bucket', '_sum', '_count']) known.add(`${n}${suffix}`);
  return known;
}

function datasourceRefs(): { where: string; ref: DatasourceRef }[] {
  const out: { where: string; ref: DatasourceRef }[] = [];
  for (const { file, dashboard: d } of dashboards) {
    for (const p of allPanels(d)) {
      if (p.datasource) out.push({ where: `${file}: ${p.title}`, ref: p.datasource });
      for (const t of p.targets ?? []) if (t.datasource) out.push({ where: `${file}: ${p.title} ${t.refId}`, ref: t.datasource });
    }
    for (const v of d.templating?.list ?? []) if (v.datasource) out.push({ where: `${file}: variable ${v.name}`, ref: v.datasource });
    for (const a of d.annotations?.list ?? []) if (a.datasource) out.push({ where: `${file}: annotation ${a.name}`, ref: a.datasource });
  }
  return out;
}

describe('dashboards/*.json', () => {
  it('holds the five sandbox dashboards', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual(
      ['sandbox-alerts', 'sandbox-ml-model', 'sandbox-runtime', 'sandbox-service-overview', 'sandbox-slo'].sort(),
    );
  });

  it('gives each dashboard a unique uid (Grafana: at most 40 characters) and a unique title', () => {
    const ids = dashboards.map((d) => d.dashboard.uid);
    const titles = dashboards.map((d) => d.dashboard.title);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(titles).size).toBe(titles.length);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s: panels have unique ids, titles, targets and fit the 24-column grid', (_file, d) => {
    const panels = allPanels(d);
    expect(panels.length).toBeGreaterThan(3);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels as (typeof panels[number] & { gridPos: { x: number; w: number } })[]) {
      expect(p.title.length).toBeGreaterThan(0);
      expect(p.targets?.length ?? 0).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('references only provisioned data sources, by uid and matching type', () => {
    const refs = datasourceRefs();
    expect(refs.length).toBeGreaterThan(20);
    // Grafana's built-in annotations source is part of every Grafana, never provisioned.
    for (const { where, ref } of refs.filter((r) => !isBuiltInGrafana(r.ref))) {
      expect(uids.has(ref.uid ?? ''), `${where}: uid ${ref.uid}`).toBe(true);
      if (ref.type) expect(ref.type, where).toBe(uids.get(ref.uid!));
    }
  });

  it('lists every query through dashboardQueries(), with its dashboard, panel and data source', () => {
    expect(queries.length).toBeGreaterThan(40);
    for (const q of queries) {
      expect(dashboards.some((d) => d.dashboard.uid === q.dashboard)).toBe(true);
      expect(q.panel.length).toBeGreaterThan(0);
      expect(uids.has(q.datasource), `${q.dashboard} / ${q.panel}`).toBe(true);
    }
    expect(queries.filter((q) => q.language === 'logql').length).toBeGreaterThan(0);
  });

  it('has PromQL that parses, once Grafana has substituted its variables', () => {
    const promql = queries.filter((q) => q.language === 'promql');
    expect(promql.length).toBeGreaterThan(40);
    for (const q of promql) {
      const expr = renderVariables(variableSelector(q.expr) ?? q.expr);
      expect(expr, `${q.dashboard} / ${q.panel}: a Grafana variable is left`).not.toMatch(/\$/);
      expect(promqlErrors(expr), `${q.dashboard} / ${q.panel}: ${q.expr}`).toEqual([]);
    }
  });

  it('the PromQL check itself rejects broken queries', () => {
    expect(promqlErrors('sum(rate(x[5m])')).not.toEqual([]);
    expect(promqlErrors('rate(x{a="1"[5m])')).not.toEqual([]);
    expect(promqlErrors('histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m])))')).toEqual([]);
  });

  it('queries only metrics that the services, the supervisor, the rules or Alertmanager expose', () => {
    expect(metricNames('sum(rate(model_predictions_total[1m])) / on() up')).toEqual(['model_predictions_total', 'up']);
    const known = knownMetrics();
    expect(known.has('nodejs_eventloop_lag_p99_seconds') && known.has('slo:sli_error:ratio_rate30s') && !known.has('model_prediction_errors')).toBe(true);
    for (const q of queries.filter((x) => x.language === 'promql')) {
      for (const name of metricNames(renderVariables(variableSelector(q.expr) ?? q.expr))) {
        expect(known.has(name), `${q.dashboard} / ${q.panel}: unknown metric ${name}`).toBe(true);
      }
    }
  });

  it('has LogQL with a stream selector and balanced braces, parentheses and quotes', () => {
    for (const q of queries.filter((x) => x.language === 'logql')) {
      const where = `${q.dashboard} / ${q.panel}: ${q.expr}`;
      expect(q.expr, where).toMatch(/^\{\s*[a-zA-Z_]\w*\s*(=|!=|=~|!~)\s*"[^"]*"(\s*,\s*[a-zA-Z_]\w*\s*(=|!=|=~|!~)\s*"[^"]*")*\s*\}/);
      expect(balanced(q.expr), where).toBe(true);
    }
    expect(balanced('{a="b"} | json')).toBe(true);
    expect(balanced('{a="b" | json')).toBe(false);
    expect(balanced('{a="b} | json')).toBe(false);
  });

  it('has TraceQL that reads intrinsics as intrinsics, not as attributes of the same name', () => {
    // Tempo 3.0.3 (docs/sources/tempo/traceql/construct-traceql-queries.md, pkg/traceql/lexer.go):
    // intrinsics are `kind`, `status`, `name`, `duration` or scoped with a colon (`span:kind`);
    // `span.kind` looks up a span *attribute* named "kind", which OpenTelemetry spans do not
    // carry, so such a panel is always empty.
    const misuse = (expr: string) => [...expr.matchAll(/\b(?:span|resource)\.(kind|status|statusMessage|name|duration|childCount|id|parentID)\b/g)].map((m) => m[0]);
    const traceql = queries.filter((x) => x.language === 'traceql');
    expect(traceql.length).toBeGreaterThan(0);
    for (const q of traceql) expect(misuse(q.expr), `${q.dashboard} / ${q.panel}: ${q.expr}`).toEqual([]);
    expect(misuse('{ span.kind = server && span:status = error }')).toEqual(['span.kind']);
    const slow = traceql.find((q) => q.panel === 'Recent slow traces')!;
    expect(slow.expr).toMatch(/&& kind = server &&/);
  });

  it('service overview: RED per route from http_server_request_duration_seconds, p95 with exemplars', () => {
    const o = queries.filter((q) => q.dashboard === 'sandbox-service-overview');
    expect(o.some((q) => /rate\(http_server_request_duration_seconds_count\{[^}]*\}\[\$__rate_interval\]\)/.test(q.expr) && q.expr.includes('http_route'))).toBe(true);
    expect(o.some((q) => q.expr.includes('http_response_status_code=~"5.."') && q.expr.includes('http_route'))).toBe(true);
    const p95 = dashboards.find((d) => d.dashboard.uid === 'sandbox-service-overview')!.dashboard.panels.find((p) => /p95/.test(p.title))!;
    expect(p95.targets![0]!.expr).toMatch(/^histogram_quantile\(0\.95, sum by \(service, http_route, le\)/);
    expect(p95.targets![0]!.exemplar).toBe(true);
  });

  it('SLO, ML, runtime and alerts dashboards query what the issue asks for', () => {
    const text = (uid: string) => queries.filter((q) => q.dashboard === uid).map((q) => q.expr).join('\n');
    expect(text('sandbox-slo')).toMatch(/slo="api-gateway-availability"/);
    expect(text('sandbox-slo')).toMatch(/slo="api-gateway-latency"/);
    for (const m of ['model_prediction_error_bucket', 'model_predictions_total', 'model_invalid_predictions_total', 'model_info']) expect(text('sandbox-ml-model')).toContain(m);
    expect(text('sandbox-ml-model')).toMatch(/by \(version/);
    for (const m of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_seconds_total', 'process_restarts_total']) expect(text('sandbox-runtime')).toContain(m);
    expect(text('sandbox-alerts')).toContain('ALERTS{');
    // The sink's and controller's counters appear (at 1) with their first event: increase()
    // alone would show 0 for it, so a series younger than the window counts its value.
    expect(text('sandbox-alerts')).toContain(
      'sum by (receiver, kind, status) ((increase(notifications_received_total[1m]) and notifications_received_total offset 1m) or notifications_received_total)',
    );
    expect(text('sandbox-alerts')).toContain(
      'sum by (action, result) ((increase(remediation_actions_total[1m]) and remediation_actions_total offset 1m) or remediation_actions_total)',
    );
  });

  it('alerts and remediation: fault windows as an annotation query on the tags the scenario runner writes', () => {
    const list = dashboards.find((d) => d.dashboard.uid === 'sandbox-alerts')!.dashboard.annotations!.list;
    // The Prometheus one stays.
    expect(list.find((a) => a.name === 'Firing alerts')).toMatchObject({ datasource: { uid: 'prometheus' }, enable: true, expr: 'ALERTS{alertstate="firing"}' });
    const faults = list.filter((a) => isBuiltInGrafana(a.datasource ?? {}));
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({
      name: 'Fault windows',
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      target: { type: 'tags', tags: [...FAULT_ANNOTATION_TAGS], matchAny: false, limit: 100 },
    });
    // Every tag the query requires is one each annotation carries (matchAny false = all of them).
    const written = faultAnnotationTags('ml-crash', { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f', t: 5, at: '2026-11-22T14:00:05.000Z', detail: '' });
    for (const tag of faults[0]!.target!.tags!) expect(written).toContain(tag);
    // A colour of its own.
    expect(faults[0]!.iconColor).toBeTruthy();
    expect(list.filter((a) => a.iconColor === faults[0]!.iconColor)).toHaveLength(1);
  });

  it('renders Grafana variables in both syntaxes and leaves unknown ones', () => {
    expect(renderVariables('rate(x{service=~"$service"}[$__rate_interval])')).toBe('rate(x{service=~".+"}[1m])');
    expect(renderVariables('x{a="${service}"}', { service: 'api-gateway' })).toBe('x{a="api-gateway"}');
    expect(renderVariables('$unknown')).toBe('$unknown');
    expect(variableSelector('label_values(up{job="x"}, service)')).toBe('up{job="x"}');
  });
});

/** Grafana's built-in data source (annotations stored in Grafana), as dashboards reference it. */
function isBuiltInGrafana(ref: DatasourceRef): boolean {
  return ref.type === 'grafana' && ref.uid === '-- Grafana --';
}

/** Braces, parentheses and brackets nest; double-quoted and backquoted strings close. */
function balanced(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === '`') {
      const end = c === '"' ? findClosingQuote(expr, i) : expr.indexOf('`', i + 1);
      if (end === -1) return false;
      i = end;
    } else if ('([{'.includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0;
}

function findClosingQuote(s: string, from: number): number {
  for (let i = from + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}
