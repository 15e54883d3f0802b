import { z } from 'zod';
import type { LoadSummary } from '../profile.ts';
import { STATUS_COUNTERS } from './script.ts';

/**
 * The file `k6 run --summary-export <file>` writes (the legacy export format): `metrics` keyed by
 * name, a Trend as its stats in ms (`med`, `max`, `p(95)`, … as listed in summaryTrendStats), a
 * Counter as `{ count, rate }`, a Rate as `{ passes, fails, value }`. For `http_req_failed`
 * `passes` counts the requests that *failed* (the metric tracks failure; k6 issue #2386); without
 * it the failure count is `value × http_reqs.count`.
 */
const metric = z.record(z.string(), z.unknown());
const exportSchema = z.object({ metrics: z.record(z.string(), metric) });

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const round = (v: number) => Math.round(v * 1000) / 1000;

export function parseK6Summary(json: unknown): LoadSummary {
  const parsed = exportSchema.safeParse(json);
  if (!parsed.success) throw new Error('not a k6 summary export: expected an object with "metrics"');
  const m = parsed.data.metrics;
  const sent = num(m.http_reqs?.count) ?? 0;
  const failedRate = m.http_req_failed;
  const failedByRate = num(failedRate?.value) !== undefined ? Math.round(num(failedRate?.value)! * sent) : undefined;
  const failed = Math.min(sent, num(failedRate?.passes) ?? failedByRate ?? 0);
  const duration = m.http_req_duration ?? {};
  const statusCounts: Record<string, number> = {};
  for (const [name, key] of Object.entries(STATUS_COUNTERS)) {
    const c = num(m[name]?.count);
    if (c) statusCounts[key] = c;
  }
  return {
    sent,
    ok: sent - failed,
    failed,
    // Arrivals k6 could not start because every VU was busy: the builtin's `dropped`.
    dropped: num(m.dropped_iterations?.count) ?? 0,
    statusCounts,
    latencyMs: {
      p50: round(num(duration.med) ?? 0),
      p95: round(num(duration['p(95)']) ?? 0),
      p99: round(num(duration['p(99)']) ?? num(duration.max) ?? 0),
      max: round(num(duration.max) ?? 0),
    },
  };
}

/** What an interrupted k6 run (binary or container) that wrote no summary reports: nothing sent. */
export function emptyK6Summary(): LoadSummary {
  return { sent: 0, ok: 0, failed: 0, dropped: 0, statusCounts: {}, latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 } };
}
