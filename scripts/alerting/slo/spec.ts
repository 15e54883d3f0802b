import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../../core/duration.ts';

/** The SLO spec (compose/prometheus/slo/slos.yml). */

const duration = z.string().regex(DURATION_PATTERN, 'expected a duration like 30s, 5m or 1h');
const factor = z.union([
  z.number().positive(),
  z.string().regex(/^\s*\d+(\.\d+)?\s*\/\s*\d+(\.\d+)?\s*$/, 'expected a number or a fraction like 1/120'),
]);

const scaleSchema = z.strictObject({
  output: z.string().min(1),
  timeFactor: factor,
  scrapeInterval: duration,
});

const pairSchema = z.strictObject({
  long: duration,
  short: duration,
  burnRate: z.number().positive(),
  severity: z.enum(['critical', 'warning', 'info']),
});

const sliSchema = z.union([
  z.strictObject({ availability: z.strictObject({}) }),
  z.strictObject({ latency: z.strictObject({ threshold: z.number().positive() }) }),
]);

const sloSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  service: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  description: z.string().optional(),
  objective: z.number().gt(0).lt(100),
  sli: sliSchema,
});

export const specSchema = z.strictObject({
  scales: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), scaleSchema),
  burnRateAlerts: z.array(pairSchema).min(1),
  slos: z.array(sloSchema).min(1),
});

export type SloSpecFile = z.infer<typeof specSchema>;
export type Slo = z.infer<typeof sloSchema>;

export interface Scale {
  name: string;
  output: string;
  /** Multiplier from real time to this scale's time (1/120: one hour lasts 30s). */
  timeFactor: number;
  /** The factor as the spec writes it ("1/120"). */
  timeFactorText: string;
  scrapeSeconds: number;
}

export interface BurnRatePair {
  longSeconds: number;
  shortSeconds: number;
  burnRate: number;
  severity: 'critical' | 'warning' | 'info';
}

export interface SloSpec {
  scales: Scale[];
  pairs: BurnRatePair[];
  slos: Slo[];
}

export function parseFactor(value: number | string): number {
  if (typeof value === 'number') return value;
  const [a, b] = value.split('/').map((s) => Number(s.trim()));
  if (!a || !b) throw new Error(`invalid time factor "${value}"`);
  return a / b;
}

/** Validate a parsed spec document; every problem is reported at once. */
export function parseSpec(doc: unknown, source = 'slos.yml'): SloSpec {
  const parsed = specSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source}: invalid SLO spec\n${lines.join('\n')}`);
  }
  const spec = parsed.data;
  const problems: string[] = [];
  const names = new Set<string>();
  for (const slo of spec.slos) {
    if (names.has(slo.name)) problems.push(`slos: duplicate name "${slo.name}"`);
    names.add(slo.name);
  }
  const pairs = spec.burnRateAlerts.map((p, i) => {
    const longSeconds = parseDuration(p.long)!;
    const shortSeconds = parseDuration(p.short)!;
    if (shortSeconds >= longSeconds) problems.push(`burnRateAlerts.${i}: short window ${p.short} must be shorter than long window ${p.long}`);
    return { longSeconds, shortSeconds, burnRate: p.burnRate, severity: p.severity };
  });
  const scales = Object.entries(spec.scales).map(([name, s]) => {
    let timeFactor = NaN;
    try {
      timeFactor = parseFactor(s.timeFactor);
    } catch (e) {
      problems.push(`scales.${name}.timeFactor: ${(e as Error).message}`);
    }
    return { name, output: s.output, timeFactor, timeFactorText: String(s.timeFactor).replace(/\s+/g, ''), scrapeSeconds: parseDuration(s.scrapeInterval)! };
  });
  if (problems.length > 0) throw new Error(`${source}: invalid SLO spec\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { scales, pairs, slos: spec.slos };
}

export function loadSpec(path: string): SloSpec {
  return parseSpec(parse(readFileSync(path, 'utf8')), path);
}
