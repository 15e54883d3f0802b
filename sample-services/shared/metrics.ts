import { collectDefaultMetrics, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';

/**
 * One registry per process, in OpenMetrics mode so the HTTP histogram can carry exemplars.
 * No metric carries a `service` label (Prometheus adds it as a target label) and none tells
 * whether a fault is active: alerts must see only what a real incident would show.
 */
export interface ServiceMetrics {
  registry: Registry<OpenMetricsContentType>;
  httpDuration: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>;
}

export function createMetrics(options: { collectRuntime: boolean }): ServiceMetrics {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  if (options.collectRuntime) collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests (OpenTelemetry semantic conventions).',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
    // The OpenTelemetry default boundaries for http.server.request.duration.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    enableExemplars: true,
    registers: [registry],
  });
  return { registry, httpDuration };
}

export const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The exposition for a scrape: OpenMetrics (with exemplars) when accepted, Prometheus text otherwise. */
export async function exposition(registry: { metrics(): Promise<string> }, accept: string | undefined): Promise<{ contentType: string; body: string }> {
  const body = await registry.metrics();
  if (accept?.includes('application/openmetrics-text')) return { contentType: OPENMETRICS_TYPE, body };
  return { contentType: PROMETHEUS_TYPE, body: toPrometheusText(body) };
}

/**
 * prom-client renders one format per registry; the text format is derived from the OpenMetrics
 * one: counters' metadata gets the `_total` name back, exemplars and `# EOF` go.
 */
export function toPrometheusText(openMetrics: string): string {
  const counters = new Set<string>();
  for (const m of openMetrics.matchAll(/^# TYPE (\S+) counter$/gm)) counters.add(m[1]!);
  const out: string[] = [];
  for (const line of openMetrics.split('\n')) {
    if (line === '# EOF' || line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(line);
    if (meta) {
      out.push(counters.has(meta[2]!) ? `# ${meta[1]} ${meta[2]}_total${meta[3]}` : line);
      continue;
    }
    const exemplarAt = line.indexOf(' # {');
    out.push(exemplarAt === -1 ? line : line.slice(0, exemplarAt));
  }
  return `${out.join('\n')}\n`;
}
