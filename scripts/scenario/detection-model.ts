import type { FaultEffect, SignalKind, Span } from '../faults/effects.ts';
import { matcherAccepts, parsePromQL, selectorsOf, type Matcher, type PromExpr } from './promql.ts';

/**
 * The detection model: when, after a fault starts, can an alert first be seen firing, at the
 * earliest (floor) and at the latest (ceiling)? Read from the alerting rule and the recording
 * rules it depends on, as Prometheus evaluates them, plus what the fault does to the signals
 * (scripts/faults/effects.ts). The ceiling is a sum of worst cases:
 *
 *   onset      the fault takes effect in the process (a slowed request ends, a loop restarts,
 *              a load stage falls): the fault's own ramp
 *   scrape     the first sample that shows it: up to one scrape interval
 *   build-up   the expression crosses its threshold: a range window fills with faulty samples
 *              (rate, increase, deriv, *_over_time, burn-rate ratios, quantiles), bounded by the
 *              whole window plus a sample where the fault's size is not known, and by the share
 *              the threshold needs where it is (an error ratio against a ratio threshold, a
 *              slowed share against a quantile, a leak rate against a deriv threshold)
 *   rule hops  a recording rule evaluated in another group (or later in the same one) is read
 *              up to one of its evaluation intervals late, per hop
 *   evaluation the alert's group evaluates: up to one evaluation interval
 *   for        `for`, rounded up to the evaluation interval (exact: Prometheus fires at the
 *              first evaluation at least `for` after the one that found the condition true)
 *   observed   the sandbox polls the alerts API every 100 ms
 *
 * The floor takes the best case of each: the onset's minimum (a crash loop's k-th restart), the
 * build-up a single sample can give, and `for` rounded up. Windows that are read with `offset`
 * are baselines: they do not delay detection, but need history before the fault, which the
 * model reports (historyNeededSeconds) so that a scenario can leave enough lead-in.
 *
 * Everything read from the rules is what a rule file or Prometheus' /api/v1/rules holds (group
 * interval, rule order, expression, `for`, labels), so the same model bounds an attached stack.
 */

export interface ModelRule {
  kind: 'alert' | 'record';
  name: string;
  expr: string;
  forSeconds: number;
  labels: Record<string, string>;
  /** The group's name and evaluation interval, and the rule's position in it. */
  group: string;
  intervalSeconds: number;
  index: number;
}

export interface ModelConfig {
  scrapeSeconds: number;
  /** Per scrape job where it overrides the global interval. */
  jobScrapeSeconds?: Record<string, number>;
  rules: ModelRule[];
}

export interface DetectionContext {
  /** What the scenario's first fault (or a falling load) does; null: nothing is known about it. */
  effect: FaultEffect | null;
  /** Seconds of Prometheus history before the origin (the sandbox forgets it at every reset); null: unbounded. */
  historySeconds: Span | null;
  /** Requests per second the load sends to api-gateway, and the share that reaches ml-service. */
  requestRate: number;
  predictShare: number;
}

export interface Term {
  what: string;
  min: number;
  max: number;
}

export interface AlertModel {
  floor: number;
  ceiling: number;
  /** The terms of the rule that bounds the ceiling, in order (floor and ceiling are their sums). */
  terms: Term[];
  /** History the rule's baselines need before the fault (offset windows, sample counts). */
  historyNeededSeconds: number;
  /** Set when the model can tell that the fault cannot make the rule fire. */
  neverFires?: string;
  /** The build-up used the fault's size (an error ratio, a leak rate): the rule is known to fire. */
  sized: boolean;
}

/** Alerts seen within this of their firing: the observer polls every 100 ms (observers/alerts.ts). */
export const OBSERVE_SECONDS = 0.1;

interface Reading {
  /** Depends on a signal the fault moves. */
  moved: boolean;
  signals: Set<SignalKind>;
  /** Seconds from the first faulty sample until it can have crossed (a comparison) or changed fully. */
  lag: Span;
  /** Rule-evaluation delays along the slowest path (cross-group reads). */
  hops: number;
  /** History the baselines need before the fault: a full offset window... */
  history: number;
  /** ...unless the rule says how much baseline suffices (count_over_time(x[r] offset o) >= n). */
  historyGuard?: number;
  shape: Shape;
  /** service="..." from the selectors, when they name one. */
  service?: string;
  /** increase(restarts[W]) >= k: the k-th restart is the onset. */
  restartCount?: number;
  /** Why the lag is what it is, for the explanation. */
  why: string;
  neverFires?: string;
  sized?: boolean;
}

type Shape =
  | { kind: 'number'; value: number }
  | { kind: 'step' }
  | { kind: 'window'; fn: string; window: number }
  | { kind: 'quantile'; q: number; window: number }
  | { kind: 'ratio'; window: number }
  | { kind: 'presence'; window: number }
  | { kind: 'decided' };

const RANGE_FNS = new Set([
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'predict_linear',
  'changes',
  'resets',
  'avg_over_time',
  'sum_over_time',
  'min_over_time',
  'max_over_time',
  'count_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'quantile_over_time',
  'last_over_time',
  'present_over_time',
  'absent_over_time',
  'holt_winters',
  'double_exponential_smoothing',
]);
/** One sample in the window is enough for these to show a series the fault creates. */
const PRESENCE_FNS = new Set(['count_over_time', 'present_over_time', 'last_over_time', 'max_over_time']);
const COMPARISONS = new Set(['>', '<', '>=', '<=', '==', '!=']);

/** The signal a raw series carries, by the metric names of docs/contracts.md (Telemetry). */
export function signalOf(metric: string, matchers: readonly Matcher[]): SignalKind {
  if (metric.startsWith('http_server_request_duration_seconds')) {
    if (metric.endsWith('_bucket') || metric.endsWith('_sum')) return 'latency';
    const status = matchers.find((m) => m.name === 'http_response_status_code');
    return status && matcherAccepts(status, '500') && !matcherAccepts(status, '200') ? 'errors' : 'requests';
  }
  if (metric === 'up') return 'up';
  if (metric.startsWith('probe_')) return 'probe';
  if (metric === 'process_restarts_total') return 'restarts';
  if (metric === 'process_cpu_seconds_total') return 'cpu';
  if (metric === 'process_resident_memory_bytes' || metric.startsWith('nodejs_heap')) return 'memory';
  if (metric.startsWith('nodejs_eventloop_lag')) return 'eventloop';
  if (metric.startsWith('model_')) return 'model';
  if (metric === 'dependency_up' || metric === 'circuit_breaker_state') return 'dependency';
  return 'other';
}

const r3 = (s: number) => Math.round(s * 1000) / 1000;

/**
 * The model of every alerting rule named `alert` whose static labels agree with `labels` (an
 * alert name may have several rules, e.g. one per burn-rate window pair). Where several could
 * fire, the alert fires with the first: the floor is the lowest floor; the ceiling is the lowest
 * ceiling among rules the model knows will fire, else the highest. Null when no rule matches.
 */
export function modelAlert(config: ModelConfig, alert: (name: string) => boolean, labels: Record<string, string>, ctx: DetectionContext): AlertModel | null {
  const rules = config.rules.filter((r) => r.kind === 'alert' && alert(r.name) && Object.entries(labels).every(([k, v]) => r.labels[k] === undefined || r.labels[k] === v));
  if (rules.length === 0) return null;
  const models = rules.map((r) => modelRule(config, r, labels, ctx));
  // A rule none of whose signals the fault moves was not firing before and will not now.
  const firing = models.filter((m) => !m.neverFires);
  if (firing.length === 0) return models[0]!;
  const floor = Math.min(...firing.map((m) => m.floor));
  // All firing rules are known to fire when the fault's size was known for each; else the slowest bounds it.
  const known = firing.every((m) => m.sized);
  const bounding = firing.reduce((a, b) => (known ? (b.ceiling < a.ceiling ? b : a) : b.ceiling > a.ceiling ? b : a));
  return { ...bounding, floor, historyNeededSeconds: Math.max(...firing.map((m) => m.historyNeededSeconds)) };
}

function modelRule(config: ModelConfig, rule: ModelRule, labels: Record<string, string>, ctx: DetectionContext): AlertModel {
  const analyzer = new Analyzer(config, ctx, labels);
  let reading: Reading;
  try {
    reading = analyzer.read(parsePromQL(rule.expr), rule);
  } catch (e) {
    // An expression the model cannot read is bounded by `for` and the pipeline alone.
    reading = { ...unmoved(), moved: true, why: `expression not modelled (${(e as Error).message})` };
  }
  const s = analyzer.scrapeFor(parsePromQLSafe(rule.expr));
  const ev = rule.intervalSeconds;
  const forRounded = rule.forSeconds === 0 ? 0 : Math.ceil(rule.forSeconds / ev - 1e-9) * ev;
  const effect = ctx.effect;
  let onset: Term = effect ? { what: `onset: ${effect.onsetWhy}`, ...effect.onset } : { what: 'onset: the fault takes effect at once', min: 0, max: 0 };
  if (reading.restartCount !== undefined && effect?.restartsAt) {
    const k = Math.min(reading.restartCount, effect.restartsAt.length);
    onset = { what: `onset: restart ${k} of the crash loop (start, exit after 1.5 s, back-off)`, ...effect.restartsAt[k - 1]! };
  }
  const terms: Term[] = [
    onset,
    { what: `scrape: the first sample that shows it (every ${s}s)`, min: 0, max: s },
    { what: `build-up: ${reading.why}`, ...reading.lag },
    ...(reading.hops > 0 ? [{ what: 'rule hops: recording rules read from another evaluation', min: 0, max: reading.hops }] : []),
    { what: `evaluation: the alert's group (every ${ev}s)`, min: 0, max: ev },
    { what: `for ${rule.forSeconds}s, on the evaluation grid`, min: forRounded, max: forRounded },
    { what: 'observed: the alerts API is polled every 100ms', min: 0, max: OBSERVE_SECONDS },
  ].map((t) => ({ ...t, min: r3(t.min), max: r3(t.max) }));
  return {
    floor: r3(terms.reduce((a, t) => a + t.min, 0)),
    ceiling: r3(terms.reduce((a, t) => a + t.max, 0)),
    terms,
    historyNeededSeconds: r3(reading.historyGuard ?? reading.history),
    sized: reading.sized === true,
    ...(reading.neverFires ? { neverFires: reading.neverFires } : !reading.moved ? { neverFires: 'the fault moves none of the signals its rule reads' } : {}),
  };
}

function parsePromQLSafe(expr: string): PromExpr | null {
  try {
    return parsePromQL(expr);
  } catch {
    return null;
  }
}

function unmoved(): Reading {
  return { moved: false, signals: new Set(), lag: { min: 0, max: 0 }, hops: 0, history: 0, shape: { kind: 'step' }, why: 'no range window' };
}

class Analyzer {
  private readonly memo = new Map<ModelRule, Reading>();

  constructor(
    private readonly config: ModelConfig,
    private readonly ctx: DetectionContext,
    private readonly labels: Record<string, string>,
  ) {}

  /** The slowest scrape interval among the jobs the expression's raw selectors name. */
  scrapeFor(e: PromExpr | null): number {
    const base = this.config.scrapeSeconds;
    if (!e) return base;
    let s = base;
    for (const sel of selectorsOf(e)) {
      const job = sel.matchers.find((m) => m.name === 'job' && m.op === '=')?.value;
      const js = job !== undefined ? this.config.jobScrapeSeconds?.[job] : undefined;
      if (js !== undefined) s = Math.max(s, js);
      for (const rec of this.recordingRules(sel.metric, sel.matchers)) s = Math.max(s, this.scrapeFor(parsePromQLSafe(rec.expr)));
    }
    return s;
  }

  private recordingRules(metric: string, matchers: readonly Matcher[]): ModelRule[] {
    return this.config.rules.filter((r) => r.kind === 'record' && r.name === metric && matchers.every((m) => r.labels[m.name] === undefined || matcherAccepts(m, r.labels[m.name])));
  }

  private moves(signal: SignalKind): boolean {
    const moves = this.ctx.effect?.moves;
    return moves === null || moves === undefined || moves.has(signal);
  }

  read(e: PromExpr, at: ModelRule): Reading {
    switch (e.type) {
      case 'number':
        return { ...unmoved(), shape: { kind: 'number', value: e.value } };
      case 'string':
        return unmoved();
      case 'selector':
        return this.selector(e, at);
      case 'subquery': {
        const inner = this.read(e.expr, at);
        if (e.offsetSeconds > 0) return { ...unmoved(), history: inner.history + e.offsetSeconds + e.rangeSeconds, why: 'a baseline' };
        return { ...inner, shape: { kind: 'window', fn: 'subquery', window: e.rangeSeconds } };
      }
      case 'unary':
        return this.read(e.expr, at);
      case 'aggregate': {
        const args = e.args.map((a) => this.read(a, at));
        // topk/quantile take a parameter first; the vector is the last argument.
        return args.at(-1) ?? unmoved();
      }
      case 'call':
        return this.call(e, at);
      case 'binary':
        return this.binary(e, at);
    }
  }

  private selector(e: Extract<PromExpr, { type: 'selector' }>, at: ModelRule): Reading {
    const service = e.matchers.find((m) => m.name === 'service' && m.op === '=')?.value;
    const recs = this.recordingRules(e.metric, e.matchers);
    let r: Reading;
    if (recs.length > 0) {
      const readings = recs.map((rec) => {
        let inner = this.memo.get(rec);
        if (!inner) {
          inner = this.read(parsePromQL(rec.expr), rec);
          this.memo.set(rec, inner);
        }
        // Read from another group, or from later in this one: up to one of its intervals late.
        const late = rec.group !== at.group || rec.index > at.index ? rec.intervalSeconds : 0;
        return { ...inner, hops: inner.hops + late };
      });
      r = combine(readings, 'max');
    } else {
      const signal = signalOf(e.metric, e.matchers);
      const moved = this.moves(signal);
      r = { ...unmoved(), moved, signals: new Set([signal]), why: 'no range window' };
      // prom-client measures event-loop delay over the time since the last scrape.
      if (moved && signal === 'eventloop') r = { ...r, lag: { min: 0, max: this.config.scrapeSeconds }, why: 'event-loop delay is measured over the scrape interval' };
    }
    if (service && !r.service) r = { ...r, service };
    if (e.offsetSeconds > 0) {
      // A baseline: it shows the fault only `offset` later; what it needs is history.
      return { ...r, moved: false, lag: { min: 0, max: 0 }, history: r.history + e.offsetSeconds + (e.rangeSeconds ?? 0), why: 'a baseline read with offset' };
    }
    // A range over a recorded series that has a window of its own: the two add up.
    if (e.rangeSeconds !== null) return { ...r, shape: { kind: 'window', fn: 'range', window: windowOf(r) + e.rangeSeconds } };
    return r;
  }

  private call(e: Extract<PromExpr, { type: 'call' }>, at: ModelRule): Reading {
    const args = e.args.map((a) => this.read(a, at));
    if (RANGE_FNS.has(e.fn)) {
      const arg = args.find((a) => a.shape.kind === 'window') ?? args[0];
      if (!arg) return unmoved();
      const window = arg.shape.kind === 'window' ? arg.shape.window : 0;
      const shape: Shape = PRESENCE_FNS.has(e.fn) ? { kind: 'presence', window } : { kind: 'window', fn: e.fn, window };
      return { ...arg, shape };
    }
    if (e.fn === 'histogram_quantile') {
      const q = args[0]?.shape.kind === 'number' ? args[0].shape.value : 0.5;
      const v = args[1] ?? unmoved();
      const window = v.shape.kind === 'window' ? v.shape.window : 0;
      return { ...v, shape: { kind: 'quantile', q, window } };
    }
    if (e.fn === 'vector' || e.fn === 'scalar' || e.fn === 'time') return { ...unmoved(), shape: args[0]?.shape.kind === 'number' ? args[0].shape : { kind: 'step' } };
    // abs, clamp_min, label_replace, ...: the first vector argument carries the signal.
    return args.find((a) => a.shape.kind !== 'number' && a.shape.kind !== 'step') ?? args.find((a) => a.moved) ?? args[0] ?? unmoved();
  }

  private binary(e: Extract<PromExpr, { type: 'binary' }>, at: ModelRule): Reading {
    const lhs = this.read(e.lhs, at);
    const rhs = this.read(e.rhs, at);
    if (e.op === 'and') return combine([lhs, rhs], 'max');
    if (e.op === 'unless') return lhs;
    if (e.op === 'or') {
      const moved = [lhs, rhs].filter((r) => r.moved);
      return moved.length > 0 ? combine(moved, 'max') : combine([lhs, rhs], 'max');
    }
    if (COMPARISONS.has(e.op)) {
      const compared = this.compare(e.op, lhs, rhs);
      // count_over_time(x[r] offset o) >= n: a baseline of n samples, not of the whole range.
      const counted = baselineCount(e);
      return counted === null ? compared : { ...compared, historyGuard: counted.offset + counted.n * this.config.scrapeSeconds };
    }
    // Arithmetic.
    if (lhs.shape.kind === 'number' && rhs.shape.kind === 'number') return { ...unmoved(), shape: { kind: 'number', value: arith(e.op, lhs.shape.value, rhs.shape.value) } };
    if (rhs.shape.kind === 'number') return lhs;
    if (lhs.shape.kind === 'number') return rhs;
    const merged = combine([lhs, rhs], 'max');
    if (e.op === '/' && lhs.signals.has('errors') && !rhs.signals.has('errors')) {
      return { ...merged, shape: { kind: 'ratio', window: Math.max(windowOf(lhs), windowOf(rhs)) } };
    }
    // The moved operand's shape decides (a z-score moves with its current value, not its baseline).
    const lead = lhs.moved && (!rhs.moved || windowOf(lhs) >= windowOf(rhs)) ? lhs : rhs.moved ? rhs : lhs;
    return { ...merged, shape: lead.shape, why: lead.why };
  }

  /** A comparison: how long until the moved side crosses its threshold. */
  private compare(op: string, lhs: Reading, rhs: Reading): Reading {
    const movedSides = [lhs, rhs].filter((r) => r.moved);
    const base = combine([lhs, rhs], 'max');
    if (movedSides.length === 0) return { ...base, shape: { kind: 'decided' } };
    const threshold = rhs.shape.kind === 'number' ? rhs.shape.value : lhs.shape.kind === 'number' ? lhs.shape.value : null;
    // Against another series (a baseline, a best-version level): the faster side drives the crossing.
    const x = movedSides.reduce((a, b) => (windowOf(b) < windowOf(a) ? b : a));
    const crossing = this.crossing(op, x, threshold);
    return { ...base, ...crossing, moved: true, shape: { kind: 'decided' }, hops: base.hops, history: base.history };
  }

  private crossing(op: string, x: Reading, threshold: number | null): Pick<Reading, 'lag' | 'why' | 'restartCount' | 'neverFires' | 'sized'> {
    const s = this.config.scrapeSeconds;
    const effect = this.ctx.effect;
    const shape = x.shape;
    const rising = op === '>' || op === '>=';
    if (shape.kind === 'decided' || shape.kind === 'number') return { lag: x.lag, why: x.why };
    if (shape.kind === 'step') return { lag: x.lag, why: x.why };
    if (shape.kind === 'presence') return { lag: { min: 0, max: s }, why: `a sample of the new series (${shape.window}s window, any sample counts)` };
    if (shape.kind === 'window' && x.signals.has('restarts') && rising && threshold !== null && threshold >= 1 && effect?.restartsAt) {
      return { lag: { min: 0, max: 0 }, why: `the restart count reaches ${threshold} (within its ${shape.window}s window)`, restartCount: Math.ceil(threshold) };
    }
    const w = windowOf(x);
    const before = x.lag.max;
    // Rising above 0: any increase shows, once two samples of a new series exist.
    if (rising && threshold === 0 && (shape.kind === 'window' || shape.kind === 'ratio')) {
      return { lag: { min: 0, max: before + s }, why: `any increase: two samples in the ${w}s window` };
    }
    if (shape.kind === 'ratio' && rising && threshold !== null && effect?.errorRatio) {
      const ratio = this.errorRatioFor(x.service);
      if (ratio !== null) {
        if (ratio <= threshold) return { lag: { min: 0, max: w + s }, why: `error ratio ${ratio} never exceeds ${threshold}`, neverFires: `the fault's error ratio ${ratio} does not exceed the threshold ${threshold}` };
        const t = ratioCrossing(ratio, threshold, w, this.historyAtFirstSample('max'));
        // At the earliest: the same with the least history, less a sample (rate() extrapolates).
        const early = Math.max(0, ratioCrossing(ratio, threshold, w, this.historyAtFirstSample('min')) - s);
        // Errors are spread over requests: the next error can be up to one error interval away.
        const perService = this.ctx.requestRate * (x.service === 'ml-service' ? this.ctx.predictShare : 1);
        const gap = perService > 0 ? 1 / (ratio * perService) : 0;
        return {
          lag: { min: early, max: before + t + s + gap },
          sized: true,
          why: `the ${w}s error ratio needs ${r3(t)}s of errors at ${ratio} to pass ${threshold} (over the history since the reset), + a sample + one error interval`,
        };
      }
    }
    if (shape.kind === 'quantile') {
      const share = effect?.slowShare ?? 1;
      const need = Math.min(1, (2 * (1 - shape.q)) / share);
      return {
        lag: { min: 0, max: before + need * w + s },
        why: `p${Math.round(shape.q * 100)} over ${w}s needs ${Math.round(need * 100)}% of the window slowed (twice the share above the quantile, for the bucket interpolation) + a sample`,
      };
    }
    if (shape.kind === 'window' && shape.fn === 'deriv' && x.signals.has('memory') && rising && threshold !== null && effect?.memoryBytesPerSecond) {
      const f = threshold / effect.memoryBytesPerSecond;
      if (f >= 1) return { lag: { min: 0, max: w + s }, why: 'the leak is slower than the threshold', neverFires: `the leak of ${effect.memoryBytesPerSecond} B/s does not exceed the threshold ${threshold} B/s` };
      // The least-squares slope over a window whose last share p has grown at rate R is R(3p² − 2p³).
      const p = hingeShare(f);
      return { sized: true, lag: { min: 0, max: before + p * w + s }, why: `deriv over ${w}s reaches ${r3(f * 100)}% of the leak rate after ${r3(p * w)}s (slope of a hinge: 3p² − 2p³) + a sample` };
    }
    return { lag: { min: 0, max: before + w + s }, why: `${describe(shape)}: the whole ${w}s window of the changed signal (its size is not known) + a sample` };
  }

  /** The fault's error ratio for the service the expression reads (the expectation's `service` label first). */
  private errorRatioFor(service: string | undefined): number | null {
    const ratios = this.ctx.effect?.errorRatio;
    if (!ratios) return null;
    const name = this.labels.service ?? service;
    if (name !== undefined) return ratios[name] ?? null;
    const all = Object.values(ratios).filter((r) => r > 0);
    return all.length > 0 ? Math.min(...all) : null;
  }

  /** Seconds of history at the first faulty sample (history at the origin + onset + a scrape), or Infinity. */
  private historyAtFirstSample(which: 'min' | 'max'): number {
    const h = this.ctx.historySeconds;
    if (!h) return Infinity;
    const onset = this.ctx.effect?.onset;
    return which === 'max' ? h.max + (onset?.max ?? 0) + this.config.scrapeSeconds : h.min + (onset?.min ?? 0);
  }
}

/** `count_over_time(x[r] offset o) >= n` (either way round): o, r and n; else null. */
function baselineCount(e: Extract<PromExpr, { type: 'binary' }>): { offset: number; n: number } | null {
  const [call, num] = e.rhs.type === 'number' ? [e.lhs, e.rhs] : [e.rhs, e.lhs];
  if (num.type !== 'number' || call.type !== 'call' || call.fn !== 'count_over_time') return null;
  const sel = call.args[0];
  if (sel?.type !== 'selector' || sel.offsetSeconds === 0 || sel.rangeSeconds === null) return null;
  return { offset: sel.offsetSeconds, n: num.value };
}

function windowOf(r: Reading): number {
  const s = r.shape;
  return s.kind === 'window' || s.kind === 'quantile' || s.kind === 'ratio' || s.kind === 'presence' ? s.window : 0;
}

function describe(s: Shape): string {
  if (s.kind === 'window') return s.fn === 'range' ? 'a range' : `${s.fn}()`;
  if (s.kind === 'ratio') return 'a ratio of rates';
  return s.kind;
}

function combine(readings: Reading[], how: 'max'): Reading {
  const moved = readings.filter((r) => r.moved);
  const pick = moved.length > 0 ? moved : readings;
  const slowest = pick.reduce((a, b) => (b.lag.max > a.lag.max ? b : a));
  void how;
  const signals = new Set<SignalKind>();
  for (const r of readings) for (const s of r.signals) signals.add(s);
  const restart = readings.find((r) => r.restartCount !== undefined)?.restartCount;
  const never = readings.find((r) => r.neverFires)?.neverFires;
  const sized = readings.some((r) => r.sized);
  return {
    moved: moved.length > 0,
    signals,
    lag: { min: Math.max(...pick.map((r) => r.lag.min)), max: slowest.lag.max },
    hops: Math.max(...readings.map((r) => r.hops)),
    history: Math.max(...readings.map((r) => r.history)),
    ...(readings.some((r) => r.historyGuard !== undefined) ? { historyGuard: Math.max(...readings.map((r) => r.historyGuard ?? 0)) } : {}),
    shape: slowest.shape,
    ...(readings.find((r) => r.service)?.service ? { service: readings.find((r) => r.service)!.service } : {}),
    ...(restart !== undefined ? { restartCount: restart } : {}),
    ...(never ? { neverFires: never } : {}),
    ...(sized ? { sized } : {}),
    why: slowest.why,
  };
}

function arith(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    default:
      return NaN;
  }
}

/**
 * Seconds of errors at ratio `L` until the error ratio over a `w`-second window passes `c`,
 * when the window held `h` seconds of error-free history before them: L·t / min(w, h + t) > c.
 */
export function ratioCrossing(L: number, c: number, w: number, h: number): number {
  if (L <= c) return Infinity;
  const t = (h * c) / (L - c);
  return Number.isFinite(t) && h + t <= w ? t : (w * c) / L;
}

/** p in [0, 1] with 3p² − 2p³ = f. */
export function hingeShare(f: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 50; i++) {
    const p = (lo + hi) / 2;
    if (3 * p * p - 2 * p * p * p < f) lo = p;
    else hi = p;
  }
  return (lo + hi) / 2;
}
