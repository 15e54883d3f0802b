import { relative } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC, generate, staleFiles } from '../../../scripts/alerting/slo/generate.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { errorRatioExpr, renderGroup, scalePairs, windowsOf, type AlertingRule, type RecordingRule } from '../../../scripts/alerting/slo/render.ts';
import { loadSpec, parseFactor, parseSpec, type Scale } from '../../../scripts/alerting/slo/spec.ts';
import { errorBudget, formatWindow, leMatcherRegex, MIN_SCRAPES_PER_WINDOW, scaleWindow } from '../../../scripts/alerting/slo/windows.ts';

const H = 3600;
const D = 86_400;
const sandbox: Scale = { name: 'sandbox', output: '../rules', timeFactor: 1 / 120, timeFactorText: '1/120', scrapeSeconds: 1 };
const production: Scale = { name: 'production', output: '../rules-production', timeFactor: 1, timeFactorText: '1', scrapeSeconds: 30 };

describe('window maths', () => {
  it('compresses the workbook windows 120x for the sandbox, clamped to 4 scrapes', () => {
    expect(scaleWindow(1 * H, 1 / 120, 1)).toBe(30);
    expect(scaleWindow(5 * 60, 1 / 120, 1)).toBe(4); // 2.5s, below 4 scrapes
    expect(scaleWindow(6 * H, 1 / 120, 1)).toBe(180);
    expect(scaleWindow(30 * 60, 1 / 120, 1)).toBe(15);
    expect(scaleWindow(1 * D, 1 / 120, 1)).toBe(720);
    expect(scaleWindow(2 * H, 1 / 120, 1)).toBe(60);
    expect(scaleWindow(3 * D, 1 / 120, 1)).toBe(2160);
  });

  it('leaves real-time windows alone, clamps to 4 scrape intervals, rounds up to a whole second', () => {
    expect(scaleWindow(5 * 60, 1, 30)).toBe(300);
    expect(scaleWindow(60, 1, 30)).toBe(MIN_SCRAPES_PER_WINDOW * 30);
    expect(scaleWindow(100, 1 / 120, 0.5)).toBe(2); // 0.83s → 1s, clamped to 4 x 0.5s
    expect(scaleWindow(7 * 60, 1 / 120, 1)).toBe(4);
    expect(scaleWindow(11 * 60, 1 / 120, 1)).toBe(6); // 5.5s → 6s
    expect(() => scaleWindow(0, 1, 1)).toThrow(/positive/);
  });

  it('formats whole seconds as Prometheus durations', () => {
    expect([4, 30, 60, 90, 180, 720, 3600, 5400, D, 3 * D].map(formatWindow)).toEqual(['4s', '30s', '1m', '1m30s', '3m', '12m', '1h', '1h30m', '1d', '3d']);
    expect(() => formatWindow(1.5)).toThrow(/whole/);
    expect(() => formatWindow(0)).toThrow();
  });

  it('computes the error budget without float noise', () => {
    expect(errorBudget(99.9)).toBe(0.001);
    expect(errorBudget(99)).toBe(0.01);
    expect(errorBudget(99.95)).toBe(0.0005);
  });

  it('parses time factors as numbers or fractions', () => {
    expect(parseFactor('1/120')).toBeCloseTo(1 / 120, 12);
    expect(parseFactor(' 1 / 60 ')).toBeCloseTo(1 / 60, 12);
    expect(parseFactor(1)).toBe(1);
  });
});

describe('le matcher', () => {
  // Prometheus anchors regex matchers: the whole value must match.
  const matches = (threshold: number, le: string) => new RegExp(`^(?:${leMatcherRegex(threshold)})$`).test(le);

  it('matches the exposition text (Prometheus 2.x) and the normalised float text (3.x)', () => {
    expect(matches(0.5, '0.5')).toBe(true);
    expect(matches(0.5, '0.50')).toBe(true);
    expect(matches(1, '1')).toBe(true);
    expect(matches(1, '1.0')).toBe(true);
    expect(matches(2.5, '2.5')).toBe(true);
    expect(matches(10, '10.0')).toBe(true);
  });

  it('matches no other bucket', () => {
    for (const other of ['0.05', '0.25', '0.75', '5', '0x5', '+Inf']) expect(matches(0.5, other), other).toBe(false);
    for (const other of ['10', '1.5', '0.1', '1x0', '11']) expect(matches(1, other), other).toBe(false);
  });

  it('uses no backslashes (they need double escaping in PromQL strings) and rejects exponent notation', () => {
    expect(leMatcherRegex(0.5)).toBe('0[.]50*');
    expect(leMatcherRegex(1)).toBe('1([.]0+)?');
    expect(() => leMatcherRegex(1e-7)).toThrow(/exponent/);
    expect(() => leMatcherRegex(-1)).toThrow();
  });
});

describe('spec', () => {
  const valid = {
    scales: { sandbox: { output: '../rules', timeFactor: '1/120', scrapeInterval: '1s' } },
    burnRateAlerts: [{ long: '1h', short: '5m', burnRate: 14.4, severity: 'critical' }],
    slos: [{ name: 'a-availability', service: 'a', objective: 99.9, sli: { availability: {} } }],
  };

  it('accepts a valid spec', () => {
    const spec = parseSpec(valid);
    expect(spec.scales[0]).toMatchObject({ name: 'sandbox', timeFactorText: '1/120', scrapeSeconds: 1 });
    expect(spec.pairs[0]).toEqual({ longSeconds: 3600, shortSeconds: 300, burnRate: 14.4, severity: 'critical' });
  });

  it('reports every problem at once', () => {
    const bad = {
      ...valid,
      burnRateAlerts: [{ long: '5m', short: '1h', burnRate: 14.4, severity: 'critical' }],
      slos: [valid.slos[0], valid.slos[0]],
    };
    expect(() => parseSpec(bad, 'x.yml')).toThrow(/x\.yml: invalid SLO spec\n.*duplicate name "a-availability"\n.*short window 1h must be shorter than long window 5m/s);
    expect(() => parseSpec({ ...valid, slos: [{ ...valid.slos[0], objective: 100, sli: { latency: {} } }] })).toThrow(/slos\.0\.objective[\s\S]*slos\.0\.sli/);
    expect(() => parseSpec({ ...valid, extra: 1 })).toThrow(/invalid SLO spec/);
  });

  it('the shipped spec has the workbook pairs and both api-gateway SLOs', () => {
    const spec = loadSpec(DEFAULT_SPEC);
    expect(spec.pairs.map((p) => [p.longSeconds, p.shortSeconds, p.burnRate, p.severity])).toEqual([
      [H, 300, 14.4, 'critical'],
      [6 * H, 1800, 6, 'critical'],
      [D, 2 * H, 3, 'warning'],
      [3 * D, 6 * H, 1, 'warning'],
    ]);
    expect(spec.slos.map((s) => s.name)).toEqual(['api-gateway-availability', 'api-gateway-latency']);
    expect(spec.scales.map((s) => [s.name, s.timeFactor])).toEqual([
      ['sandbox', 1 / 120],
      ['production', 1],
    ]);
  });
});

describe('rendered rules', () => {
  const spec = loadSpec(DEFAULT_SPEC);

  it('needs these windows at each scale', () => {
    expect(windowsOf(scalePairs(spec.pairs, sandbox), sandbox)).toEqual(['4s', '15s', '30s', '1m', '3m', '12m', '36m']);
    expect(windowsOf(scalePairs(spec.pairs, production), production)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
  });

  it('no window is shorter than 4 scrape intervals', () => {
    for (const scale of [sandbox, production, { ...sandbox, scrapeSeconds: 15 }]) {
      for (const p of scalePairs(spec.pairs, scale)) {
        for (const w of [p.longSeconds, p.shortSeconds]) expect(scaleWindow(w, scale.timeFactor, scale.scrapeSeconds)).toBeGreaterThanOrEqual(4 * scale.scrapeSeconds);
      }
    }
  });

  it('one SLOErrorBudgetBurn per SLO and pair, with slo, windows, severity and service labels', () => {
    const group = renderGroup('api-gateway', spec.slos, spec, sandbox);
    const alerts = group.rules.filter((r): r is AlertingRule => 'alert' in r);
    expect(alerts).toHaveLength(spec.slos.length * spec.pairs.length);
    expect(alerts.map((a) => [a.labels.slo, a.labels.long_window, a.labels.short_window, a.labels.severity])).toEqual([
      ['api-gateway-availability', '30s', '4s', 'critical'],
      ['api-gateway-availability', '3m', '15s', 'critical'],
      ['api-gateway-availability', '12m', '1m', 'warning'],
      ['api-gateway-availability', '36m', '3m', 'warning'],
      ['api-gateway-latency', '30s', '4s', 'critical'],
      ['api-gateway-latency', '3m', '15s', 'critical'],
      ['api-gateway-latency', '12m', '1m', 'warning'],
      ['api-gateway-latency', '36m', '3m', 'warning'],
    ]);
    for (const a of alerts) {
      expect(a.alert).toBe('SLOErrorBudgetBurn');
      expect(a.labels.service).toBe('api-gateway');
      expect(a.annotations.runbook_url).toBe('http://127.0.0.1:9400/runbooks/SLOErrorBudgetBurn');
      expect(a.annotations.description).toContain('{{ $value | humanizePercentage }}');
    }
    expect(alerts[0]!.expr).toBe(
      'slo:sli_error:ratio_rate30s{slo="api-gateway-availability"} > (14.4 * 0.001)\nand\nslo:sli_error:ratio_rate4s{slo="api-gateway-availability"} > (14.4 * 0.001)',
    );
    expect(alerts[4]!.expr).toContain('> (14.4 * 0.01)');
    const records = group.rules.filter((r): r is RecordingRule => 'record' in r);
    expect(records).toHaveLength(spec.slos.length * 7);
    expect(new Set(records.map((r) => `${r.record}/${r.labels.slo}`)).size).toBe(records.length);
  });

  it('availability counts 5xx (0 when there are none); latency counts requests above the bucket', () => {
    const [availability, latency] = spec.slos;
    expect(errorRatioExpr(availability!, '30s')).toContain('http_response_status_code=~"5.."}[30s])) or vector(0))');
    const lat = errorRatioExpr(latency!, '30s');
    expect(lat).toContain('http_server_request_duration_seconds_bucket{job="sample-services", service="api-gateway", le=~"0[.]50*"}[30s]');
    expect(lat).toMatch(/^1 - \(/);
  });
});

describe('generated files', () => {
  const files = generate();

  it('writes one sandbox and one production file for api-gateway', () => {
    expect([...files.keys()].map((p) => relative(PROJECT_ROOT, p)).sort()).toEqual([
      'compose/prometheus/rules-production/slo-api-gateway.yml',
      'compose/prometheus/rules/slo-api-gateway.yml',
    ]);
    for (const text of files.values()) {
      expect(text.startsWith('# GENERATED by scripts/alerting/slo/generate.ts')).toBe(true);
      expect((parse(text) as { groups: unknown[] }).groups).toHaveLength(1);
    }
  });

  it('the committed files equal a fresh generation (run `node --import tsx scripts/alerting/slo/generate.ts`)', () => {
    const stale = staleFiles(files).map((p) => relative(PROJECT_ROOT, p));
    expect(stale, 'stale generated SLO rules: run node --import tsx scripts/alerting/slo/generate.ts').toEqual([]);
  });
});
