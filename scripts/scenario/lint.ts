import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { isSandboxError } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { scenarioFilesIn } from './discover.ts';
import { loadScenario } from './loader.ts';
import { matchesName, type Scenario } from './model.ts';

/** One lint finding, located in its file. */
export interface LintProblem {
  file: string;
  line: number;
  alert?: string;
  message: string;
}

export interface LintOptions {
  rulesDir?: string;
  scenariosDir?: string;
  runbooksDir?: string;
}

const SEVERITIES = ['critical', 'warning', 'info'];

interface AlertRule {
  name: string;
  file: string;
  line: number;
  labels: Record<string, unknown>;
  annotations: Record<string, unknown>;
}

/**
 * Alert quality that a review would ask for, checked on every run of `npm test`: every alert
 * has a severity, a summary and a runbook that exists, and at least one scenario proves it fires
 * (alert coverage). Problems are all reported at once, each with its file and line.
 */
export function lintAlerts(options: LintOptions = {}): { problems: LintProblem[]; alerts: number; scenarios: number } {
  const rulesDir = options.rulesDir ?? join(PROJECT_ROOT, 'compose/prometheus/rules');
  const scenariosDir = options.scenariosDir ?? join(PROJECT_ROOT, 'scenarios');
  const runbooksDir = options.runbooksDir ?? join(PROJECT_ROOT, 'runbooks');
  const problems: LintProblem[] = [];
  const alerts = readAlertRules(rulesDir, problems);

  const scenarios: Scenario[] = [];
  for (const file of scenarioFilesIn(scenariosDir)) {
    try {
      scenarios.push(loadScenario(file));
    } catch (e) {
      if (!isSandboxError(e)) throw e;
      problems.push({ file, line: 1, message: `invalid scenario: ${e.message}${e.details.length ? `: ${e.details.join('; ')}` : ''}` });
    }
  }

  const reportedUncovered = new Set<string>();
  for (const a of alerts) {
    const where = { file: a.file, line: a.line, alert: a.name };
    const severity = a.labels.severity;
    if (typeof severity !== 'string' || !SEVERITIES.includes(severity)) {
      problems.push({ ...where, message: `labels.severity is ${severity === undefined ? 'missing' : `"${String(severity)}"`}; use one of ${SEVERITIES.join(', ')}` });
    }
    if (typeof a.annotations.summary !== 'string' || a.annotations.summary.trim() === '') {
      problems.push({ ...where, message: 'annotations.summary is missing: say in one line what is wrong, with the value' });
    }
    const runbook = a.annotations.runbook_url;
    if (typeof runbook !== 'string' || runbook.trim() === '') {
      problems.push({ ...where, message: 'annotations.runbook_url is missing: link the page under runbooks/ that says how to confirm and fix it' });
    } else {
      const page = /\/runbooks\/([^/?#]+?)(?:\.md)?(?:[?#].*)?$/.exec(runbook)?.[1];
      if (page && !existsSync(join(runbooksDir, `${page}.md`))) {
        problems.push({ ...where, message: `runbook_url points at runbooks/${page}.md, which does not exist` });
      }
    }
    const covered = scenarios.some((s) =>
      s.expectations.some((e) => (e.kind === 'alert' || e.kind === 'notification' || e.kind === 'resolved') && matchesName(e.alert, a.name)),
    );
    if (!covered && !reportedUncovered.has(a.name)) {
      reportedUncovered.add(a.name);
      problems.push({ ...where, message: `no scenario in ${relative(PROJECT_ROOT, scenariosDir) || scenariosDir} expects ${a.name}: add one that makes it fire (alert coverage)` });
    }
  }
  return { problems, alerts: alerts.length, scenarios: scenarios.length };
}

function readAlertRules(dir: string, problems: LintProblem[]): AlertRule[] {
  const out: AlertRule[] = [];
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  for (const name of files) {
    const file = join(dir, name);
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, line: e.linePos?.[0]?.line ?? 1, message: `YAML: ${e.message.split('\n')[0]}` });
      continue;
    }
    const groups = doc.get('groups');
    if (!isSeq(groups)) continue;
    for (const g of groups.items) {
      const rules = isMap(g) ? g.get('rules') : undefined;
      if (!isSeq(rules)) continue;
      for (const r of rules.items) {
        if (!isMap(r)) continue;
        const alert = r.get('alert');
        if (typeof alert !== 'string') continue;
        const plain = (key: string) => {
          const v = (r as YAMLMap).get(key);
          return isMap(v) ? (v.toJSON() as Record<string, unknown>) : {};
        };
        out.push({ name: alert, file, line: lines.linePos(r.range?.[0] ?? 0).line, labels: plain('labels'), annotations: plain('annotations') });
      }
    }
  }
  return out;
}

export function formatLintProblem(p: LintProblem): string {
  return `${relative(process.cwd(), p.file) || basename(p.file)}:${p.line}: ${p.alert ? `${p.alert}: ` : ''}${p.message}`;
}
