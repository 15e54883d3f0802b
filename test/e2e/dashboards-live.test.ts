import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';
import { dashboardQueries, renderVariables, variableSelector, type DashboardQuery } from '../../scripts/stack/dashboards.ts';

/**
 * Issue 6: every dashboard query, run against a live native sandbox after a short load with an
 * incident (ml-service crashes, ServiceDown fires, pages, the controller restarts it, it
 * resolves), returns data. A query that cannot return data here is listed in NOT_NATIVE with
 * the reason, and the test checks that the reason holds, so the list cannot rot.
 */

interface Status {
  runtime: string;
  components: { name: string; state: string; url?: string; reason?: string }[];
}

/**
 * Queries that legitimately return nothing natively: they need a backend that only runs with
 * the docker runtime (or with its binary on PATH). They are skipped only where `needs` is not
 * `ready` in `sandbox status --json`; where it is ready, the query runs against it instead.
 */
const NOT_NATIVE: { match: (q: DashboardQuery) => boolean; needs: string; reason: string }[] = [
  { match: (q) => q.language === 'logql', needs: 'loki', reason: 'LogQL runs against Loki, which holds the services’ logs' },
  { match: (q) => q.language === 'traceql', needs: 'tempo', reason: 'TraceQL runs against Tempo, which holds the services’ spans' },
  // Series Tempo's metrics-generator remote-writes into Prometheus (service graph, span metrics).
  { match: (q) => /\btraces_(service_graph|spanmetrics)_/.test(q.expr), needs: 'tempo', reason: 'only Tempo’s metrics-generator writes traces_* series' },
];

const SCENARIO = 'test/fixtures/scenarios/dashboard-load.yaml';
const queries = dashboardQueries();
let env: NodeJS.ProcessEnv;
let status: Status;
let prometheus: string;
let start = 0;
let end = 0;
let variables: Record<string, string>;

async function getJson(url: string): Promise<{ status: string; data: unknown }> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: unknown; error?: string };
  if (!res.ok || body.status !== 'success') throw new Error(`${url}: HTTP ${res.status} ${body.error ?? ''}`);
  return body;
}

/** Range query over the run's window: the series that have at least one sample. */
async function rangeQuery(expr: string): Promise<{ metric: Record<string, string>; values: unknown[] }[]> {
  const q = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: '1' });
  const body = await getJson(`${prometheus}/api/v1/query_range?${q}`);
  return ((body.data as { result: { metric: Record<string, string>; values: unknown[] }[] }).result ?? []).filter((s) => s.values.length > 0);
}

/** Lines (Loki) or traces (Tempo) a dashboard query finds over the run's window. */
async function backendHits(language: string, url: string, expr: string): Promise<number> {
  if (language === 'logql') {
    const q = new URLSearchParams({ query: expr, start: `${start}000000000`, end: `${end}000000000`, limit: '100' });
    const body = await getJson(`${url}/loki/api/v1/query_range?${q}`);
    return ((body.data as { result?: unknown[] }).result ?? []).length;
  }
  const q = new URLSearchParams({ q: expr, start: String(start), end: String(end), limit: '20' });
  const res = await fetch(`${url}/api/search?${q}`);
  expect(res.status, `${url}/api/search?${q}`).toBe(200);
  return (((await res.json()) as { traces?: unknown[] }).traces ?? []).length;
}

async function seriesCount(selector: string): Promise<number> {
  const q = new URLSearchParams({ 'match[]': selector, start: String(start), end: String(end) });
  return ((await getJson(`${prometheus}/api/v1/series?${q}`)).data as unknown[]).length;
}

beforeAll(async () => {
  const sb = await isolatedSandbox('e2e-dash-');
  env = sb.env;
  const up = await runCli(['up', '--detach', '--runtime', 'native'], env, 60_000);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
  const st = await runCli(['status', '--json'], env);
  status = JSON.parse(st.stdout) as Status;
  prometheus = status.components.find((c) => c.name === 'prometheus' && c.state === 'ready')?.url ?? '';
  expect(prometheus, st.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  start = Math.floor(Date.now() / 1000) - 2;
  const run = await runCli(['run', SCENARIO, '-q'], env, 90_000);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  // Let the last scrapes and rule evaluations after the recovery land.
  await new Promise((r) => setTimeout(r, 3000));
  end = Math.ceil(Date.now() / 1000);

  // Variables as Grafana renders them for this window: the datasource's timeInterval is 1s, so
  // $__interval is 1s and $__rate_interval is max($__interval + 1s, 4 × 1s) = 4s; `All` of
  // $service is the alternation of its values.
  const services = ((await getJson(`${prometheus}/api/v1/label/service/values?${new URLSearchParams({ 'match[]': 'http_server_request_duration_seconds_count', start: String(start), end: String(end) })}`)).data as string[]).sort();
  expect(services).toEqual(expect.arrayContaining(['api-gateway', 'ml-service']));
  variables = { __interval: '1s', __rate_interval: '4s', __range: `${end - start}s`, service: services.join('|') };
}, 150_000);

afterAll(async () => {
  if (env) await runCli(['down'], env);
});

describe('dashboards against a live native sandbox after load and an incident', () => {
  it('has PromQL queries to check', () => {
    expect(queries.filter((q) => q.language === 'promql').length).toBeGreaterThan(30);
  });

  it('every query returns data, or is listed as impossible natively with a reason that holds', async () => {
    const empty: string[] = [];
    const skipped: string[] = [];
    for (const q of queries) {
      const where = `${q.dashboard} / ${q.panel}${q.refId ? ` (${q.refId})` : ''}`;
      const excluded = NOT_NATIVE.find((n) => n.match(q));
      const backend = excluded && status.components.find((x) => x.name === excluded.needs);
      if (excluded && backend?.state !== 'ready') {
        // The reason holds: the backend does not run here.
        skipped.push(`${where}: ${excluded.needs} ${backend?.state} (${excluded.reason})`);
        continue;
      }
      if (backend?.url && q.language !== 'promql') {
        // Loki or Tempo runs (binaries on PATH): the query goes to it, and must find something.
        const expr = renderVariables(q.expr, variables);
        if ((await backendHits(q.language, backend.url, expr)) === 0) empty.push(`${where}: ${expr}`);
        continue;
      }
      expect(q.language, where).toBe('promql');
      const expr = renderVariables(q.expr, variables);
      expect(expr, `${where}: unrendered variable`).not.toMatch(/\$/);
      const selector = variableSelector(expr);
      const n = selector !== undefined ? await seriesCount(selector) : (await rangeQuery(expr)).length;
      if (n === 0) empty.push(`${where}: ${expr}`);
    }
    expect(empty, `queries with no data over the run:\n${empty.join('\n')}`).toEqual([]);
    // Only what the list names was skipped, and only where its backend does not run.
    const notRunning = (name: string) => status.components.find((c) => c.name === name)?.state !== 'ready';
    expect(skipped.length).toBe(queries.filter((q) => NOT_NATIVE.some((n) => n.match(q) && notRunning(n.needs))).length);
  });

  it('the incident shows on the dashboards: ServiceDown and a Model alert fired, the restart was remediated and counted', async () => {
    const panel = (dashboard: string, title: string) => {
      const q = queries.find((x) => x.dashboard === dashboard && x.panel === title);
      expect(q, `${dashboard} / ${title}`).toBeDefined();
      return renderVariables(q!.expr, variables);
    };
    const positive = async (expr: string) => (await rangeQuery(`(${expr}) > 0`)).map((s) => s.metric);
    expect(await positive(panel('sandbox-alerts', 'Alert states'))).toContainEqual({ alertname: 'ServiceDown', service: 'ml-service' });
    expect((await positive(panel('sandbox-ml-model', 'Model alerts'))).map((m) => m.alertname)).toContain('ModelVersionChanged');
    expect(await positive(panel('sandbox-alerts', 'Remediation actions'))).toContainEqual({ action: 'restart', result: 'succeeded' });
    expect((await positive(panel('sandbox-alerts', 'Notifications received'))).map((m) => m.receiver)).toContain('pagerduty');
    expect(await positive(panel('sandbox-alerts', 'Restarts'))).toContainEqual({ service: 'ml-service' });
    expect((await positive(panel('sandbox-ml-model', 'Model in service'))).map((m) => m.version)).toContain('v3');
  });

  it('Prometheus lists no target for a stack part that does not run (no dead Grafana, Loki or Tempo target)', async () => {
    const targets = (await getJson(`${prometheus}/api/v1/targets?state=active`)).data as { activeTargets: { labels: { job: string }; health: string }[] };
    const jobs = new Set(targets.activeTargets.map((t) => t.labels.job));
    for (const c of ['grafana', 'loki', 'tempo']) {
      const state = status.components.find((x) => x.name === c)?.state;
      if (state === 'ready') expect(jobs, c).toContain(c);
      else expect(jobs, `${c} is ${state} but Prometheus scrapes it`).not.toContain(c);
    }
    expect(jobs).toContain('sample-services');
  });
});
