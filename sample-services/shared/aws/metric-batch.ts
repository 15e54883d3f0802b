import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';

/**
 * Observations gathered between two PutMetricData calls, one statistic set per metric and
 * dimension set: a request costs a map update, never a network call. Pure, so the batching and
 * the shape of what is sent are tested without an endpoint.
 */
export interface Observation {
  name: string;
  unit: StandardUnit;
  value: number;
  dimensions?: Readonly<Record<string, string>>;
}

/** PutMetricData takes up to 1000 datums per call; emulators and older limits say 20. Stay at 20. */
export const MAX_DATUMS_PER_CALL = 20;
/** A runaway dimension (a route per request) must not grow memory without bound. */
export const MAX_SERIES = 500;

interface Series {
  name: string;
  unit: StandardUnit;
  dimensions: { Name: string; Value: string }[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class MetricBatch {
  private series = new Map<string, Series>();
  /** Observations refused because MAX_SERIES distinct series were already held. */
  dropped = 0;

  add(o: Observation): void {
    if (!Number.isFinite(o.value)) return;
    const dims = Object.entries(o.dimensions ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([Name, Value]) => ({ Name, Value }));
    const key = `${o.name}\u0000${o.unit}\u0000${dims.map((d) => `${d.Name}=${d.Value}`).join('\u0000')}`;
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_SERIES) {
        this.dropped++;
        return;
      }
      s = { name: o.name, unit: o.unit, dimensions: dims, count: 0, sum: 0, min: o.value, max: o.value };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += o.value;
    s.min = Math.min(s.min, o.value);
    s.max = Math.max(s.max, o.value);
  }

  get size(): number {
    return this.series.size;
  }

  /** Everything gathered so far as datums stamped `at`, and an empty batch for what comes next. */
  drain(at: Date): MetricDatum[] {
    const out = [...this.series.values()].map(
      (s): MetricDatum => ({
        MetricName: s.name,
        Dimensions: s.dimensions,
        Timestamp: at,
        Unit: s.unit,
        StatisticValues: { SampleCount: s.count, Sum: s.sum, Minimum: s.min, Maximum: s.max },
      }),
    );
    this.series = new Map();
    return out;
  }
}

/** Datums in PutMetricData-sized calls. */
export function chunk<T>(items: readonly T[], size = MAX_DATUMS_PER_CALL): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
