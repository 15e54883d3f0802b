import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../core/duration.ts';
import { SandboxError } from '../core/errors.ts';
import { modelAlert, type AlertModel, type DetectionContext, type ModelRule, type Term } from './detection-model.ts';
import { detectionContext } from './detection-context.ts';
import { matchesName, matcherText, type NameMatcher, type Scenario } from './model.ts';
import { matcherAccepts } from './promql.ts';

export interface DetectionConfig {
  scrapeSeconds: number;
  evaluationSeconds: number;
  /** `for` of every alerting rule, by alert name. */
  ruleFor: Map<string, number>;
  /**
   * The labels every alert of a rule carries whatever its series: the rule's own static labels
   * (templated values left out) and Prometheus' external labels. Enough to follow Alertmanager's
   * routes on the label the sandbox routes by (`severity`).
   */
  ruleLabels: Map<string, Record<string, string>>;
  /** Alertmanager's routing tree, with its grouping timers. */
  alertmanager: AlertmanagerRoute;
  /** Every rule, recording and alerting, with its group's interval and its place in it: the detection model's input. */
  rules: ModelRule[];
  /** Scrape intervals of the jobs that set their own. */
  jobScrapeSeconds: Record<string, number>;
  /**
   * Attached stacks: the names under which each Alertmanager receiver delivers to the sandbox's
   * notification sink (the sink records the name in its URL path, /webhook/<name>), so that an
   * expectation's receiver finds the routes to a receiver the team named otherwise.
   */
  sinkNames?: ReadonlyMap<string, readonly string[]>;
}

/**
 * One node of Alertmanager's routing tree, with what it inherits from its parent already
 * filled in (receiver, group_wait, group_interval), as Alertmanager builds it (dispatch/route.go).
 */
export interface AlertmanagerRoute {
  receiver: string;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  matchers: LabelMatcher[];
  continue: boolean;
  routes: AlertmanagerRoute[];
}

export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Alertmanager's defaults for a route that sets neither, root included (docs/configuration.md). */
export const ALERTMANAGER_DEFAULT_GROUP_WAIT_SECONDS = 30;
export const ALERTMANAGER_DEFAULT_GROUP_INTERVAL_SECONDS = 300;

type RuleFile = {
  groups?: { name?: string; interval?: string; rules?: { alert?: string; record?: string; expr?: unknown; for?: string; labels?: Record<string, unknown> }[] }[];
} | null;
type PrometheusYaml = {
  global?: { scrape_interval?: string; evaluation_interval?: string; external_labels?: Record<string, unknown> };
  scrape_configs?: { job_name?: string; scrape_interval?: string }[];
} | null;

/**
 * Where the Alertmanager configuration sits next to a Prometheus configuration dir: the
 * project's `compose/prometheus` → `compose/alertmanager`, a sandbox's rendered
 * `<state>/stack/prometheus/config` → `<state>/stack/alertmanager/config` (runtime/state.ts).
 */
export function siblingAlertmanagerConfigDir(prometheusConfigDir: string): string {
  return basename(prometheusConfigDir) === 'config'
    ? join(dirname(dirname(prometheusConfigDir)), 'alertmanager', 'config')
    : join(dirname(prometheusConfigDir), 'alertmanager');
}

/**
 * Read intervals from prometheus.yml, `for` and static labels from every rule file it loads,
 * and the routing tree from alertmanager.yml (in alertmanagerConfigDir).
 */
export function readDetectionConfig(
  prometheusConfigDir: string,
  extraRuleFiles: readonly string[] = [],
  alertmanagerConfigDir: string = siblingAlertmanagerConfigDir(prometheusConfigDir),
): DetectionConfig {
  const config = parse(readFileSync(join(prometheusConfigDir, 'prometheus.yml'), 'utf8')) as PrometheusYaml;
  const ruleFor = new Map<string, number>();
  const ruleLabels = new Map<string, Record<string, string>>();
  const rules: ModelRule[] = [];
  const external = staticLabels(config?.global?.external_labels);
  const evaluationSeconds = parseDuration(config?.global?.evaluation_interval ?? '1m') ?? 60;
  const files = [...listYaml(join(prometheusConfigDir, 'rules')), ...listYaml(join(prometheusConfigDir, 'scenario-rules')), ...extraRuleFiles];
  for (const file of files) {
    const doc = readRuleFile(file);
    for (const [g, group] of (doc?.groups ?? []).entries()) {
      const interval = group.interval ? (parseDuration(group.interval) ?? evaluationSeconds) : evaluationSeconds;
      for (const [index, rule] of (group.rules ?? []).entries()) {
        const forSeconds = rule.for ? (parseDuration(rule.for) ?? 0) : 0;
        const labels = staticLabels(rule.labels);
        const name = rule.alert ?? rule.record;
        if (name === undefined) continue;
        // Group names are unique per file, not across files.
        rules.push({ kind: rule.alert ? 'alert' : 'record', name, expr: String(rule.expr ?? ''), forSeconds, labels, group: `${file}#${group.name ?? g}`, intervalSeconds: interval, index });
        if (!rule.alert) continue;
        ruleFor.set(rule.alert, forSeconds);
        ruleLabels.set(rule.alert, { ...external, ...labels });
      }
    }
  }
  const amFile = join(alertmanagerConfigDir, 'alertmanager.yml');
  if (!existsSync(amFile)) {
    throw new SandboxError('INVALID_CONFIG', `no Alertmanager configuration at ${amFile}: the notification detection bounds need its route timers`, {
      hint: 'it is rendered next to the Prometheus configuration when the sandbox starts (compose/alertmanager/alertmanager.yml)',
    });
  }
  return {
    scrapeSeconds: parseDuration(config?.global?.scrape_interval ?? '1m') ?? 60,
    evaluationSeconds,
    ruleFor,
    ruleLabels,
    alertmanager: parseAlertmanagerRoutes(readFileSync(amFile, 'utf8'), amFile),
    rules,
    jobScrapeSeconds: jobScrapeIntervals(config),
  };
}

function jobScrapeIntervals(config: PrometheusYaml): Record<string, number> {
  const out: Record<string, number> = {};
  for (const job of config?.scrape_configs ?? []) {
    const s = job.scrape_interval ? parseDuration(job.scrape_interval) : null;
    if (job.job_name && s !== null) out[job.job_name] = s;
  }
  return out;
}

/** A rule file's YAML; an unreadable one (an alias bomb, not YAML) names the file. */
function readRuleFile(file: string): RuleFile {
  try {
    return parse(readFileSync(file, 'utf8'), { maxAliasCount: 100 }) as RuleFile;
  } catch (e) {
    throw new SandboxError('INVALID_CONFIG', `${file}: cannot be read as a rule file: ${(e as Error).message}`, {
      hint: `check it with \`promtool check rules ${file}\``,
    });
  }
}

type RouteYaml = {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  matchers?: string[];
  match?: Record<string, unknown>;
  match_re?: Record<string, unknown>;
  continue?: boolean;
  routes?: RouteYaml[];
};

/**
 * The routing tree of an alertmanager.yml text: each route's receiver, group_wait and
 * group_interval, a child inheriting what it does not set and the root taking Alertmanager's
 * defaults (30s, 5m).
 */
export function parseAlertmanagerRoutes(text: string, source = 'alertmanager.yml'): AlertmanagerRoute {
  const doc = parse(text) as { route?: RouteYaml } | null;
  if (!doc?.route) throw new SandboxError('INVALID_CONFIG', `${source}: no top-level \`route\``, { hint: 'Alertmanager requires a root route' });
  const seconds = (value: string | undefined, inherited: number, key: string): number => {
    if (value === undefined) return inherited;
    const s = String(value) === '0' ? 0 : parseDuration(String(value));
    if (s === null) throw new SandboxError('INVALID_CONFIG', `${source}: ${key} "${value}" is not a duration`, { hint: 'e.g. 30s, 5m' });
    return s;
  };
  const build = (r: RouteYaml, parent: AlertmanagerRoute | null): AlertmanagerRoute => {
    const node: AlertmanagerRoute = {
      receiver: r.receiver ?? parent?.receiver ?? '',
      groupWaitSeconds: seconds(r.group_wait, parent?.groupWaitSeconds ?? ALERTMANAGER_DEFAULT_GROUP_WAIT_SECONDS, 'group_wait'),
      groupIntervalSeconds: seconds(r.group_interval, parent?.groupIntervalSeconds ?? ALERTMANAGER_DEFAULT_GROUP_INTERVAL_SECONDS, 'group_interval'),
      matchers: [
        ...Object.entries(r.match ?? {}).map(([name, v]): LabelMatcher => ({ name, op: '=', value: String(v) })),
        ...Object.entries(r.match_re ?? {}).map(([name, v]): LabelMatcher => ({ name, op: '=~', value: String(v) })),
        ...(r.matchers ?? []).flatMap(parseMatchers),
      ],
      continue: r.continue === true,
      routes: [],
    };
    node.routes = (r.routes ?? []).map((c) => build(c, node));
    return node;
  };
  return build(doc.route, null);
}

/** `severity=~"critical|warning"`, `severity = info`, `{a="b", c!="d"}`: Alertmanager's matcher syntax. */
function parseMatchers(text: string): LabelMatcher[] {
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out: LabelMatcher[] = [];
  const one = /\s*([a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,]*?)\s*(?:,|$)/gy;
  for (let m = one.exec(body); m && m[0] !== ''; m = one.exec(body)) {
    const unquote = (s: string) => (s.startsWith('"') ? (JSON.parse(s) as string) : s);
    out.push({ name: unquote(m[1]!), op: m[2] as LabelMatcher['op'], value: unquote(m[3]!) });
    if (one.lastIndex >= body.length) break;
  }
  return out;
}

/** A label absent from the alert is the empty string, as in Alertmanager (matcherAccepts). */
function matches(m: LabelMatcher, labels: Record<string, string>): boolean {
  return matcherAccepts(m, labels[m.name]);
}

/** The routes an alert with these labels ends at: Alertmanager's Route.Match (dispatch/route.go). */
export function matchRoutes(route: AlertmanagerRoute, labels: Record<string, string>): AlertmanagerRoute[] {
  if (!route.matchers.every((m) => matches(m, labels))) return [];
  const all: AlertmanagerRoute[] = [];
  for (const child of route.routes) {
    const found = matchRoutes(child, labels);
    all.push(...found);
    if (found.length > 0 && !child.continue) break;
  }
  return all.length > 0 ? all : [route];
}

function allRoutes(route: AlertmanagerRoute): AlertmanagerRoute[] {
  return [route, ...route.routes.flatMap(allRoutes)];
}

/** A label set's values as strings, without templated ones (their value depends on the series). */
function staticLabels(labels: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([, v]) => !String(v).includes('{{')).map(([k, v]) => [k, String(v)]));
}

/**
 * The same, read from a running stack's APIs (an attached stack whose files are not ours):
 * Prometheus' /api/v1/status/config for the intervals and /api/v1/rules for every alerting
 * rule's `for` and labels; Alertmanager's /api/v2/status, whose config.original is the
 * configuration it loaded, as YAML, for the routing tree.
 */
export async function readDetectionConfigFromApi(prometheusUrl: string, alertmanagerUrl: string): Promise<DetectionConfig> {
  const get = async <T>(what: string, base: string, path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => {
      throw new SandboxError('RUNTIME_UNAVAILABLE', `${what} at ${base} does not answer: ${e.message}`);
    });
    if (!res.ok) throw new SandboxError('RUNTIME_UNAVAILABLE', `${what} at ${base}${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const prom = async <T>(path: string) => (await get<{ data: T }>('Prometheus', prometheusUrl, path)).data;
  const config = parse((await prom<{ yaml: string }>('/api/v1/status/config')).yaml) as PrometheusYaml;
  // Recording rules too: the detection model follows an alert through the rules it reads.
  const api = await prom<{
    groups: { name: string; file?: string; interval?: number; rules: { type: string; name: string; query?: string; duration?: number; labels?: Record<string, string> }[] }[];
  }>('/api/v1/rules');
  const external = staticLabels(config?.global?.external_labels);
  const evaluationSeconds = parseDuration(config?.global?.evaluation_interval ?? '1m') ?? 60;
  const ruleFor = new Map<string, number>();
  const ruleLabels = new Map<string, Record<string, string>>();
  const rules: ModelRule[] = [];
  for (const g of api.groups) {
    for (const [index, r] of g.rules.entries()) {
      const labels = staticLabels(r.labels);
      const kind = r.type === 'alerting' ? 'alert' : 'record';
      rules.push({ kind, name: r.name, expr: r.query ?? '', forSeconds: r.duration ?? 0, labels, group: `${g.file ?? ''}#${g.name}`, intervalSeconds: g.interval ?? evaluationSeconds, index });
      if (kind !== 'alert') continue;
      ruleFor.set(r.name, r.duration ?? 0);
      ruleLabels.set(r.name, { ...external, ...labels });
    }
  }
  const status = await get<{ config?: { original?: string } }>('Alertmanager', alertmanagerUrl, '/api/v2/status');
  if (typeof status.config?.original !== 'string') {
    throw new SandboxError('RUNTIME_UNAVAILABLE', `Alertmanager at ${alertmanagerUrl}/api/v2/status: no config.original in the answer`, {
      hint: 'is it an Alertmanager (0.16 or later)?',
    });
  }
  // The sample services' job may scrape faster than the team's global interval (what
  // `sandbox attach config` suggests); /api/v1/status/config shows every job's own interval.
  const servicesJob = config?.scrape_configs?.find((j) => j.job_name === 'sample-services');
  return {
    scrapeSeconds: parseDuration(servicesJob?.scrape_interval ?? config?.global?.scrape_interval ?? '1m') ?? 60,
    evaluationSeconds,
    ruleFor,
    ruleLabels,
    alertmanager: parseAlertmanagerRoutes(status.config.original, `Alertmanager at ${alertmanagerUrl}`),
    rules,
    jobScrapeSeconds: jobScrapeIntervals(config),
  };
}

function listYaml(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Seconds from the first fault's start (scenario/detection-model.ts says how each term arises). */
export interface DetectionBounds {
  /** The alert cannot be seen firing sooner. */
  floor: number;
  /** It is seen firing at the latest this long after the fault's start. */
  ceiling: number;
  /** What the bounds are made of, term by term (the floor and ceiling are their sums). */
  terms: Term[];
  /** History the rule's baselines need before the fault. */
  historyNeededSeconds: number;
  /** Set when the fault cannot make the rule fire (its error ratio is under the threshold, ...). */
  neverFires?: string;
  /** Its first delivery at any receiver (time to notify): see notificationBounds. */
  notification: NotificationBounds;
}

export interface NotificationBounds {
  /** Alert floor + group_wait: the first notification of a new group waits group_wait. */
  floor: number;
  /**
   * Alert ceiling + group_wait. No group_interval: alertmanager.yml groups by `sandbox_run`,
   * an external label that is new for every scenario run (scenario/prepare.ts), so the
   * expected alert always opens a fresh group and is sent after group_wait, never after the
   * group_interval of a group that already exists.
   */
  ceiling: number;
  /** The ceiling when the alert joins a group that already exists: + group_interval. */
  joinedGroupCeiling: number;
  /** The route whose timers these are. */
  receiver: string;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
}

/** No scenario: the fault moves every signal, at once, by an unknown amount; history unbounded. */
export const NO_CONTEXT: DetectionContext = { effect: null, historySeconds: null, requestRate: 0, predictShare: 1 };

/**
 * The bounds of an alert (with `labels`, as an expectation names them) after the fault that
 * `context` describes (detectionContext(scenario)): the detection model's floor and ceiling,
 * with the notification bounds of its first delivery at any receiver.
 */
export function detectionBounds(config: DetectionConfig, alert: NameMatcher, labels: Record<string, string> = {}, context: DetectionContext = NO_CONTEXT): DetectionBounds | null {
  const bounds = alertBounds(config, alert, labels, context);
  return bounds && { floor: bounds.floor, ceiling: bounds.ceiling, terms: bounds.terms, historyNeededSeconds: bounds.historyNeededSeconds, ...(bounds.neverFires ? { neverFires: bounds.neverFires } : {}), notification: notificationBounds(config, alert, undefined, context, labels)! };
}

function alertBounds(config: DetectionConfig, alert: NameMatcher, labels: Record<string, string>, context: DetectionContext): (AlertModel & { name: string }) | null {
  const name = [...config.ruleFor.keys()].find((n) => matchesName(alert, n));
  if (name === undefined) return null;
  const model = modelAlert(config, (n) => matchesName(alert, n), labels, context);
  return model && { ...model, name };
}

/**
 * Bounds of the alert's first notification (at `receiver`, or at any receiver): the alert's
 * bounds plus group_wait of the Alertmanager route that delivers it. The route is found as
 * Alertmanager would from the labels every alert of the rule carries (ruleLabels); where those
 * do not decide it (a matcher on a series label), any route to that receiver could deliver, and
 * the one with the shortest timers counts, so that a target is never rejected that one of them
 * could meet. Null when no rule defines the alert.
 */
export function notificationBounds(
  config: DetectionConfig,
  alert: NameMatcher,
  receiver?: string,
  context: DetectionContext = NO_CONTEXT,
  labels: Record<string, string> = {},
): NotificationBounds | null {
  const bounds = alertBounds(config, alert, labels, context);
  if (!bounds) return null;
  const alertLabels = { ...config.ruleLabels.get(bounds.name), alertname: bounds.name };
  const matched = matchRoutes(config.alertmanager, alertLabels);
  // Attached: only a receiver that delivers to the sink under that name can be observed (a team's
  // own receiver of the same name pages elsewhere), and "any receiver" means any the sink hears.
  const sink = config.sinkNames;
  const delivers = (r: AlertmanagerRoute) =>
    sink ? (receiver === undefined ? sink.has(r.receiver) : (sink.get(r.receiver)?.includes(receiver) ?? false)) : r.receiver === receiver;
  const candidates = receiver === undefined && !sink ? matched : pick(matched.filter(delivers), allRoutes(config.alertmanager).filter(delivers), matched);
  const route = candidates.reduce((a, b) => (b.groupWaitSeconds < a.groupWaitSeconds || (b.groupWaitSeconds === a.groupWaitSeconds && b.groupIntervalSeconds < a.groupIntervalSeconds) ? b : a));
  const wait = route.groupWaitSeconds;
  return {
    floor: round(bounds.floor + wait),
    ceiling: round(bounds.ceiling + wait),
    joinedGroupCeiling: round(bounds.ceiling + wait + route.groupIntervalSeconds),
    receiver: route.receiver,
    groupWaitSeconds: wait,
    groupIntervalSeconds: route.groupIntervalSeconds,
  };
}

const pick = <T>(...lists: T[][]): T[] => lists.find((l) => l.length > 0) ?? [];

/**
 * A target below the floor cannot be met by this configuration: reject it before the run.
 * Below the ceiling it can be met only sometimes: say so, as a warning. `alert` expectations
 * against the alert bounds, `notification` expectations against the notification bounds of the
 * route to their receiver.
 */
export function checkDetectionBudget(scenario: Scenario, config: DetectionConfig): { warnings: string[] } {
  const warnings: string[] = [];
  const problems: string[] = [];
  const reported = new Set<string>();
  const context = detectionContext(scenario);
  const undefinedAlert = (name: string, located: (text: string) => string) => {
    if (reported.has(name)) return;
    reported.add(name);
    problems.push(located(`alert ${name} is not defined by any loaded rule file (known: ${[...config.ruleFor.keys()].sort().join(', ') || 'none'})`));
  };
  const historyWarned = new Set<string>();
  for (const [i, exp] of scenario.expectations.entries()) {
    const where = scenario.locations?.expect[i];
    const located = (text: string) => (where ? `${where}: ${text}` : text);
    if (exp.kind === 'alert') {
      const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
      const bounds = detectionBounds(config, exp.alert, exp.labels, context);
      const name = matcherText(exp.alert);
      if (!bounds) {
        undefinedAlert(name, located);
        continue;
      }
      if (bounds.neverFires) warnings.push(`alert ${name}: the detection model expects it never to fire: ${bounds.neverFires}`);
      const available = context.historySeconds ? context.historySeconds.min + (context.effect?.onset.min ?? 0) : Infinity;
      if (bounds.historyNeededSeconds > available && !historyWarned.has(name)) {
        historyWarned.add(name);
        warnings.push(
          `alert ${name}: its rule compares with a baseline that needs ${bounds.historyNeededSeconds}s of history before the fault, ` +
            `but the scenario gives it about ${round(available)}s (history is forgotten before every scenario): start the fault later`,
        );
      }
      if (within === null) continue;
      if (within < bounds.floor) {
        problems.push(located(`alert ${name} must fire within ${within}s, but it cannot be seen firing sooner than ${bounds.floor}s: ${explainTerms(bounds.terms, 'min')}`));
      } else if (within < bounds.ceiling) {
        warnings.push(`alert ${name}: target ${within}s is below the detection ceiling ${bounds.ceiling}s (${explainTerms(bounds.terms, 'max')}): the scenario may be flaky`);
      }
    } else if (exp.kind === 'notification') {
      // The same default the verdict judges it by (verdict.ts): targets.mttd.
      const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
      // Attached, and nothing delivers to the sink under that name: no bound to judge; the
      // routing check (scenario/attached/routing.ts) says what to add.
      if (config.sinkNames && ![...config.sinkNames.values()].some((names) => names.includes(exp.receiver))) continue;
      const bounds = notificationBounds(config, exp.alert, exp.receiver, context);
      const name = matcherText(exp.alert);
      if (!bounds) {
        undefinedAlert(name, located);
        continue;
      }
      if (within === null) continue;
      const wait = `group_wait ${bounds.groupWaitSeconds}s of the route to ${bounds.receiver}`;
      if (within < bounds.floor) {
        problems.push(
          located(
            `notification of ${name} to ${exp.receiver} must arrive within ${within}s, but it cannot arrive sooner than ${bounds.floor}s ` +
              `(the alert's floor ${round(bounds.floor - bounds.groupWaitSeconds)}s + ${wait})`,
          ),
        );
      } else if (within < bounds.ceiling) {
        warnings.push(
          `notification of ${name} to ${exp.receiver}: target ${within}s is below the notification ceiling ${bounds.ceiling}s ` +
            `(the alert's ceiling ${round(bounds.ceiling - bounds.groupWaitSeconds)}s + ${wait}): the scenario may be flaky`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new SandboxError('INVALID_SCENARIO', `${scenario.file}: impossible expectations`, {
      details: problems,
      hint: 'raise the target, lower the rule\'s `for` or window (or the route\'s group_wait), or fix the alert name',
    });
  }
  return { warnings };
}

/** "onset 0.5s (the first restart) + scrape 1s + ...": the terms that are not zero. */
export function explainTerms(terms: readonly Term[], which: 'min' | 'max'): string {
  return terms
    .filter((t) => t[which] > 0)
    .map((t) => `${t.what} ${round(t[which])}s`)
    .join(' + ') || 'no delay';
}

const round = (s: number) => Math.round(s * 1000) / 1000;
