import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../core/paths.ts';

/**
 * The Grafana dashboards under dashboards/ (provisioned by compose/grafana/provisioning), read
 * as data: what the dashboard tests check, and what a live check can run against a sandbox
 * ("every panel returns data after load").
 */
export const DASHBOARDS_DIR = join(PROJECT_ROOT, 'dashboards');

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface DashboardTarget {
  refId?: string;
  datasource?: DatasourceRef;
  /** PromQL (prometheus) or LogQL (loki). */
  expr?: string;
  /** TraceQL (tempo). */
  query?: string;
  queryType?: string;
  exemplar?: boolean;
}

export interface DashboardPanel {
  id?: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating?: { list: { name: string; datasource?: DatasourceRef; query?: unknown; allValue?: string }[] };
  annotations?: { list: DashboardAnnotation[] };
}

/** An annotation query; `target` is the built-in Grafana data source's (type `tags` filters by tags). */
export interface DashboardAnnotation {
  name: string;
  datasource?: DatasourceRef;
  expr?: string;
  enable?: boolean;
  hide?: boolean;
  iconColor?: string;
  target?: { type?: string; tags?: string[]; matchAny?: boolean; limit?: number };
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

export function loadDashboards(dir = DASHBOARDS_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): DashboardPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export type QueryLanguage = 'promql' | 'logql' | 'traceql';

export interface DashboardQuery {
  /** The dashboard's uid. */
  dashboard: string;
  /** The panel's title (or `annotation: <name>`, `variable: <name>`). */
  panel: string;
  /** The query as written, with Grafana variables ($service, $__rate_interval). */
  expr: string;
  language: QueryLanguage;
  /** The data source uid the query runs against. */
  datasource: string;
  refId?: string;
}

/**
 * Every query of every dashboard: panel targets, annotation queries and variable queries.
 * Run one against the sandbox with `renderVariables(q.expr)` first.
 */
export function dashboardQueries(dir = DASHBOARDS_DIR): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const { dashboard: d } of loadDashboards(dir)) {
    for (const panel of allPanels(d)) {
      for (const t of panel.targets ?? []) {
        const ds = t.datasource ?? panel.datasource;
        const uid = ds?.uid ?? '';
        const language = languageOf(ds);
        const expr = language === 'traceql' ? t.query : t.expr;
        if (expr === undefined) continue;
        out.push({ dashboard: d.uid, panel: panel.title, expr, language, datasource: uid, ...(t.refId ? { refId: t.refId } : {}) });
      }
    }
    for (const a of d.annotations?.list ?? []) {
      if (a.expr) out.push({ dashboard: d.uid, panel: `annotation: ${a.name}`, expr: a.expr, language: languageOf(a.datasource), datasource: a.datasource?.uid ?? '' });
    }
    for (const v of d.templating?.list ?? []) {
      const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
      if (q) out.push({ dashboard: d.uid, panel: `variable: ${v.name}`, expr: q, language: languageOf(v.datasource), datasource: v.datasource?.uid ?? '' });
    }
  }
  return out;
}

function languageOf(ds: DatasourceRef | undefined): QueryLanguage {
  if (ds?.type === 'loki' || ds?.uid === 'loki') return 'logql';
  if (ds?.type === 'tempo' || ds?.uid === 'tempo') return 'traceql';
  return 'promql';
}

/** What Grafana substitutes, with values that make a query runnable as is (`All` = `.+`). */
export const DEFAULT_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '15m',
  service: '.+',
};

/** Replaces $name and ${name} (Grafana's variable syntaxes) with values; unknown names stay. */
export function renderVariables(expr: string, values: Readonly<Record<string, string>> = DEFAULT_VARIABLES): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    return values[name] ?? whole;
  });
}

/**
 * `label_values(metric, label)` is a Grafana variable function, not PromQL: the series
 * selector inside it is what a check can parse or query.
 */
export function variableSelector(expr: string): string | undefined {
  return /^label_values\((.+),\s*\w+\)$/.exec(expr.trim())?.[1];
}
