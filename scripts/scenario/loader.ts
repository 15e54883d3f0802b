import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { SandboxError } from '../core/errors.ts';
import { faultParamSchemas, isFaultType } from '../faults/catalog.ts';
import { sampleServiceNames, services } from '../stack/catalog.ts';
import { EXPECTATION_KINDS, expectationSchemas, scenarioSchema, type ExpectationSpecKind, type ScenarioFile } from './schema.ts';
import { logqlProblem, parseNameMatcher, traceQuery, type Expectation, type FaultSpec, type Scenario, type ScenarioLoad } from './model.ts';
import { EXECUTORS, peakRate } from '../load/schedule.ts';
import { sloNames } from './observers/slo-budget.ts';
import { checkRuleFilePath, promtoolCheckRules } from './rule-files.ts';

/** Loader options: rule files named on the command line may live outside the usual trees. */
export interface LoadOptions {
  /** Real paths given with --allow-rules. */
  allowedRules?: ReadonlySet<string>;
  /** Check rule files with promtool (default true; where promtool is missing, Prometheus checks them at load). */
  promtool?: boolean;
}

/** A few aliases are fine in a scenario; an alias bomb (billions of nodes from a few lines) is not. */
const MAX_ALIAS_COUNT = 100;

/** Longest duration any scenario field may name: anything longer is a typo (`30m` for `30s`, `2h` for `2m`). */
export const MAX_SCENARIO_SECONDS = 24 * 3600;

type Path = (string | number)[];
interface Problem {
  path: Path;
  message: string;
}

/**
 * Read and validate a scenario file. Every problem is reported at once, each with file, line,
 * column and key path, before anything starts.
 */
export function loadScenario(file: string, options: LoadOptions = {}): Scenario {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new SandboxError('INVALID_SCENARIO', `cannot read scenario file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'pass a path to a .yaml file, or a built-in scenario name (`npx sandbox scenarios` lists them)',
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    throw invalid(file, doc.errors.map((e) => `${where(e.pos[0])}: YAML syntax: ${e.message.split('\n')[0]}`));
  }
  const problems: Problem[] = [];
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml library refuses to expand an alias bomb (ReferenceError), or any other structure it cannot build.
    throw invalid(file, [`${file}: YAML: ${(e as Error).message}${/alias/i.test((e as Error).message) ? ` (more than ${MAX_ALIAS_COUNT} alias expansions; write the values out)` : ''}`]);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => fromZod(i, raw)));
  checkDurations(raw, problems);
  const data = (parsed.success ? parsed.data : undefined) as ScenarioFile | undefined;

  const rawObj = (raw ?? {}) as Record<string, unknown>;
  const expectations = checkExpectations(rawObj.expect, problems);
  const faults = checkFaults(rawObj.faults, problems);
  const ruleFiles = checkRules(rawObj.rules, abs, problems, options);
  const loadDuration = (rawObj.load as Record<string, unknown> | undefined)?.duration;
  const loadSeconds = typeof loadDuration === 'string' ? parseDuration(loadDuration) : null;
  checkLoadProfile(rawObj.load, loadSeconds, problems);
  faults.forEach((f, i) => {
    if (loadSeconds !== null && f.atSeconds >= loadSeconds) {
      problems.push({ path: ['faults', i, 'at'], message: `the fault starts at ${f.atSeconds}s, after the scenario ends (load.duration ${loadSeconds}s)` });
    }
  });

  if (problems.length > 0 || !data) {
    const located = problems.map((p) => ({ offset: offsetOf(doc, p.path) ?? 0, p }));
    located.sort((a, b) => a.offset - b.offset);
    throw invalid(file, located.map(({ offset, p }) => `${where(offset)}: ${formatPath(p.path)}: ${p.message}`));
  }
  const at = (path: Path) => `${where(offsetOf(doc, path))}: ${formatPath(path)}`;
  return {
    name: data.name,
    ...(data.description !== undefined ? { description: data.description } : {}),
    file: abs,
    ruleFiles,
    targets: {
      mttdSeconds: data.targets?.mttd ? parseDuration(data.targets.mttd) : null,
      mttrSeconds: data.targets?.mttr ? parseDuration(data.targets.mttr) : null,
    },
    load: loadOf(data.load),
    faults,
    expectations,
    repeat:
      typeof data.repeat === 'number'
        ? { runs: data.repeat, percentile: 100 }
        : { runs: data.repeat?.runs ?? 1, percentile: data.repeat?.percentile ?? 100 },
    locations: {
      name: at(['name']),
      ...(rawObj.rules !== undefined ? { rules: at(['rules']) } : {}),
      expect: expectations.map((_, i) => at(['expect', i])),
      ...(data.load.engine !== undefined ? { engine: at(['load', 'engine']) } : {}),
    },
  };
}

function loadOf(load: ScenarioFile['load']): ScenarioLoad {
  const executor = load.executor ?? 'constant-arrival-rate';
  const durationSeconds = parseDuration(load.duration)!;
  const requests = (load.requests ?? [{ method: 'POST', path: '/predict' }]).map((r) => ({
    method: r.method,
    path: r.path,
    weight: 'weight' in r && r.weight !== undefined ? r.weight : 1,
  }));
  const engine = load.engine ?? 'builtin';
  if (executor === 'constant-arrival-rate') return { rate: load.rate ?? 0, durationSeconds, requests, executor, engine };
  const startRate = load.startRate ?? 0;
  const stages = (load.stages ?? []).map((s) => ({ target: s.target, durationSeconds: parseDuration(s.duration)! }));
  const rate = peakRate({ executor, rate: 0, startRate, stages, durationSeconds });
  return { rate, durationSeconds, requests, executor, engine, startRate, stages };
}

/**
 * Cross-field rules of the load profile, on the raw value so they are reported together with
 * the schema's problems: which keys go with which executor, and stages that fit the duration.
 */
function checkLoadProfile(value: unknown, durationSeconds: number | null, problems: Problem[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const load = value as Record<string, unknown>;
  const executor = load.executor ?? 'constant-arrival-rate';
  if (!(EXECUTORS as readonly unknown[]).includes(executor)) return; // the schema named the allowed values
  if (executor === 'constant-arrival-rate') {
    const which = load.executor === undefined ? 'the default executor, constant-arrival-rate' : 'executor constant-arrival-rate';
    if (load.rate === undefined) {
      problems.push({ path: ['load', 'rate'], message: `missing rate (requests per second), required by ${which}; or set executor: ramping-arrival-rate with startRate and stages` });
    }
    for (const key of ['stages', 'startRate'] as const) {
      if (load[key] !== undefined) {
        problems.push({ path: ['load', key], message: `${key} needs executor: ramping-arrival-rate (this load uses ${which}); allowed executors: ${EXECUTORS.join(', ')}` });
      }
    }
    return;
  }
  if (load.rate !== undefined) {
    problems.push({ path: ['load', 'rate'], message: 'rate is for executor constant-arrival-rate; with ramping-arrival-rate use startRate and stages: [{ target, duration }]' });
  }
  if (load.stages === undefined) {
    problems.push({ path: ['load', 'stages'], message: 'missing stages, required by executor ramping-arrival-rate: stages: [{ target: <requests per second>, duration: 30s }]' });
    return;
  }
  if (!Array.isArray(load.stages)) return;
  const total = load.stages.reduce<number>((sum, s) => {
    const d = typeof s === 'object' && s !== null ? (s as Record<string, unknown>).duration : undefined;
    return sum + ((typeof d === 'string' ? parseDuration(d) : null) ?? 0);
  }, 0);
  if (durationSeconds !== null && total > durationSeconds + 1e-9) {
    problems.push({
      path: ['load', 'stages'],
      message: `the stages last ${total}s in all, longer than load.duration ${durationSeconds}s; shorten them or lengthen the duration (after the last stage its target holds until the duration ends)`,
    });
  }
}

function invalid(file: string, details: string[]): SandboxError {
  return new SandboxError('INVALID_SCENARIO', `${file} is not a valid scenario (${details.length} problem${details.length === 1 ? '' : 's'})`, {
    details,
    hint: 'see the scenario format in README.md, or scenarios/scenario.schema.json for editor completion',
  });
}

/** The value at a key path of the raw document (undefined where there is none). */
function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** A value as a message quotes it: `"meltdown"`, `0`, `[…]`. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A zod issue as a problem that quotes the offending value, read from the raw document. */
function fromZod(issue: z.core.$ZodIssue, raw?: unknown): Problem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return { path: [...path, issue.keys[0]!], message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
  }
  const value = valueAt(raw, path);
  if (issue.code === 'invalid_value') {
    const key = path.at(-1);
    const what = key === 'type' && path[0] === 'faults' ? 'fault type' : typeof key === 'string' ? key : 'value';
    return { path, message: `unknown ${what} ${quote(value)}; allowed: ${issue.values.map(String).join(', ')}` };
  }
  if (value === undefined) return { path, message: issue.message };
  return { path, message: `${issue.message} (got ${quote(value)})` };
}

/**
 * Durations that parse but cannot mean what was written: zero (a `duration: 0s` scenario, a
 * `mttd: 0s` target no alert can meet) and absurdly long ones (a typo like `30m` for `30s`).
 * `at` may be 0s (a fault from the start); everything else must be longer than zero.
 */
function checkDurations(raw: unknown, problems: Problem[]): void {
  const check = (path: Path, mayBeZero = false) => {
    const v = valueAt(raw, path);
    if (typeof v !== 'string') return;
    const seconds = parseDuration(v);
    if (seconds === null) return; // the schema says it is not a duration
    if (seconds === 0 && !mayBeZero) problems.push({ path, message: `${quote(v)} is zero; ${zeroMeaning(path)}` });
    else if (seconds > MAX_SCENARIO_SECONDS) problems.push({ path, message: `${quote(v)} is longer than ${MAX_SCENARIO_SECONDS / 3600}h, the longest a scenario may name; did you mean a shorter unit?` });
  };
  check(['load', 'duration']);
  check(['targets', 'mttd']);
  check(['targets', 'mttr']);
  const stages = valueAt(raw, ['load', 'stages']);
  if (Array.isArray(stages)) stages.forEach((_, i) => check(['load', 'stages', i, 'duration']));
  const faults = valueAt(raw, ['faults']);
  if (Array.isArray(faults)) {
    faults.forEach((f, i) => {
      check(['faults', i, 'at'], true);
      check(['faults', i, 'duration']);
      const params = (f as Record<string, unknown> | null)?.params;
      if (params && typeof params === 'object') for (const k of ['delay', 'jitter']) check(['faults', i, 'params', k], k === 'jitter');
    });
  }
  const expect = valueAt(raw, ['expect']);
  if (Array.isArray(expect)) {
    expect.forEach((e, i) => {
      if (typeof e !== 'object' || e === null) return;
      check(['expect', i, 'within']);
      for (const kind of Object.keys(e)) check(['expect', i, kind, 'within']);
    });
  }
}

function zeroMeaning(path: Path): string {
  if (path[0] === 'targets') return 'no alert can be detected or resolved in no time; give the target the scenario must meet, e.g. 30s';
  if (path[0] === 'load') return 'the scenario would end before it starts; e.g. 30s';
  if (path.at(-1) === 'within') return 'nothing can happen within no time; e.g. 30s, or leave it out for the target';
  return 'give a length, e.g. 30s, or leave it out';
}

function checkExpectations(value: unknown, problems: Problem[]): Expectation[] {
  if (!Array.isArray(value)) return [];
  const out: Expectation[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) return;
    const keys = Object.keys(item);
    const kinds = keys.filter((k): k is ExpectationSpecKind => (EXPECTATION_KINDS as string[]).includes(k));
    if (kinds.length !== 1) {
      const unknown = keys.filter((k) => !(EXPECTATION_KINDS as string[]).includes(k) && k !== 'labels' && k !== 'within');
      problems.push({
        path: ['expect', i, ...(unknown[0] ? [unknown[0]] : [])],
        message:
          kinds.length === 0
            ? `unknown expectation${unknown[0] ? ` "${unknown[0]}"` : ''}; use one of ${EXPECTATION_KINDS.join(', ')}`
            : `one expectation per item, found ${kinds.join(' and ')}`,
      });
      return;
    }
    const kind = kinds[0]!;
    const parsed = expectationSchemas[kind].safeParse(item);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((is) => fromZod(is, item)).map((p) => ({ ...p, path: ['expect', i, ...p.path] })));
      return;
    }
    const d = parsed.data as Record<string, unknown>;
    const within = (s: unknown) => (typeof s === 'string' ? parseDuration(s) : null);
    const matcher = (text: string, path: Path) => {
      try {
        return parseNameMatcher(text);
      } catch (e) {
        problems.push({ path: ['expect', i, ...path], message: `invalid regular expression: ${(e as Error).message}` });
        return parseNameMatcher('invalid');
      }
    };
    switch (kind) {
      case 'alert':
        out.push({ kind, alert: matcher(d.alert as string, ['alert']), labels: (d.labels as Record<string, string>) ?? {}, withinSeconds: within(d.within) });
        break;
      case 'notification': {
        const n = d.notification as { receiver: string; alert: string; within?: string };
        out.push({ kind, receiver: n.receiver, alert: matcher(n.alert, ['notification', 'alert']), withinSeconds: within(n.within) });
        break;
      }
      case 'remediation': {
        const r = d.remediation as { action: string; service?: string; within?: string };
        out.push({ kind, action: r.action, service: r.service ?? null, withinSeconds: within(r.within) });
        break;
      }
      case 'resolved': {
        const r = d.resolved as { alert: string; within?: string };
        out.push({ kind, alert: matcher(r.alert, ['resolved', 'alert']), withinSeconds: within(r.within) });
        break;
      }
      case 'noOtherAlerts':
        out.push({ kind, enabled: d.noOtherAlerts as boolean });
        break;
      case 'slo': {
        const s = d.slo as { name: string; maxBudgetBurned: string };
        const known = sloNames();
        if (!known.includes(s.name)) {
          problems.push({ path: ['expect', i, 'slo', 'name'], message: `unknown SLO "${s.name}"; allowed: ${known.join(', ')} (compose/prometheus/slo/slos.yml)` });
          break;
        }
        out.push({ kind, slo: s.name, maxBudgetBurned: Number(s.maxBudgetBurned.slice(0, -1)) / 100 });
        break;
      }
      case 'logs': {
        const l = d.logs as { query: string; within?: string; min?: number };
        const problem = logqlProblem(l.query);
        if (problem) {
          problems.push({ path: ['expect', i, 'logs', 'query'], message: `invalid LogQL "${l.query}": ${problem}` });
          break;
        }
        out.push({ kind, query: l.query.trim(), min: l.min ?? 1, withinSeconds: within(l.within) });
        break;
      }
      case 'trace': {
        const t = d.trace as { service: string; span?: string; status?: 'ok' | 'error' | 'unset'; within?: string };
        const known = services.map((x) => x.name);
        if (!known.includes(t.service)) {
          problems.push({ path: ['expect', i, 'trace', 'service'], message: `unknown service "${t.service}"; allowed: ${known.join(', ')}` });
          break;
        }
        const span = t.span ?? null;
        const status = t.status ?? null;
        out.push({ kind, service: t.service, span, status, query: traceQuery(t.service, span, status), withinSeconds: within(t.within) });
        break;
      }
      case 'correlation': {
        const c = d.correlation as true | { within?: string };
        out.push({ kind, withinSeconds: c === true ? null : within(c.within) });
        break;
      }
    }
  });
  return out;
}

function checkFaults(value: unknown, problems: Problem[]): FaultSpec[] {
  if (!Array.isArray(value)) return [];
  const services = sampleServiceNames();
  const out: FaultSpec[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) return;
    const f = item as Record<string, unknown>;
    let ok = true;
    if (typeof f.service === 'string' && !services.includes(f.service)) {
      problems.push({ path: ['faults', i, 'service'], message: `unknown service "${f.service}"; allowed: ${services.join(', ')}` });
      ok = false;
    }
    if (typeof f.type !== 'string' || !isFaultType(f.type)) return; // the schema reported it
    const params = faultParamSchemas[f.type].safeParse(f.params ?? {});
    if (!params.success) {
      const allowed = Object.keys(faultParamSchemas[f.type].shape);
      for (const p of params.error.issues.map((is) => fromZod(is, f.params ?? {}))) {
        const unknownKey = p.message.startsWith('unknown key');
        problems.push({
          path: ['faults', i, 'params', ...p.path],
          message: unknownKey ? `${p.message} for fault ${f.type}; allowed: ${allowed.length ? allowed.join(', ') : 'none'}` : p.message,
        });
      }
      ok = false;
    }
    const at = typeof f.at === 'string' ? parseDuration(f.at) : null;
    const dur = typeof f.duration === 'string' ? parseDuration(f.duration) : null;
    if (ok && at !== null && typeof f.service === 'string' && params.success) {
      out.push({ type: f.type, service: f.service, atSeconds: at, durationSeconds: dur, params: params.data as Record<string, unknown> });
    }
  });
  return out;
}

function checkRules(value: unknown, scenarioFile: string, problems: Problem[], options: LoadOptions): string[] {
  if (!Array.isArray(value)) return [];
  const files: { index: number; written: string; file: string }[] = [];
  value.forEach((r, i) => {
    if (typeof r !== 'string') return;
    const c = checkRuleFilePath(r, scenarioFile, options.allowedRules);
    if (c.problem) problems.push({ path: ['rules', i], message: c.problem });
    else files.push({ index: i, written: r, file: c.file! });
  });
  // Every problem of every file at once, at the rule file's own line (promtool's YAML and PromQL errors).
  const checked = options.promtool === false ? null : promtoolCheckRules([...new Set(files.map((f) => f.file))]);
  for (const f of files) {
    for (const p of checked?.get(f.file) ?? []) problems.push({ path: ['rules', f.index], message: `rule file ${quote(f.written)} is invalid: ${p}` });
  }
  return files.map((f) => f.file);
}

/** Offset of the deepest node on the path that exists, so a missing key points at its parent. */
function offsetOf(doc: Document, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const prefix = path.slice(0, n);
    if (n > 0) {
      // Point at the key itself when the last element names a map key.
      const parent = prefix.length > 1 ? doc.getIn(prefix.slice(0, -1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isNode(it.key) && (it.key as { value?: unknown }).value === prefix[prefix.length - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(prefix, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}

function formatPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
