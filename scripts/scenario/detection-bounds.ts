import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../core/duration.ts';
import { SandboxError } from '../core/errors.ts';
import { matchesName, matcherText, type NameMatcher, type Scenario } from './model.ts';
import { primaryAlert } from './verdict.ts';

export interface DetectionConfig {
  scrapeSeconds: number;
  evaluationSeconds: number;
  /** `for` of every alerting rule, by alert name. */
  ruleFor: Map<string, number>;
}

/** Read intervals from prometheus.yml and `for` from every rule file it loads. */
export function readDetectionConfig(prometheusConfigDir: string, extraRuleFiles: readonly string[] = []): DetectionConfig {
  const config = parse(readFileSync(join(prometheusConfigDir, 'prometheus.yml'), 'utf8')) as {
    global?: { scrape_interval?: string; evaluation_interval?: string };
  };
  const ruleFor = new Map<string, number>();
  const files = [...listYaml(join(prometheusConfigDir, 'rules')), ...listYaml(join(prometheusConfigDir, 'scenario-rules')), ...extraRuleFiles];
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as { groups?: { interval?: string; rules?: { alert?: string; for?: string }[] }[] } | null;
    for (const group of doc?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (rule.alert) ruleFor.set(rule.alert, rule.for ? (parseDuration(rule.for) ?? 0) : 0);
      }
    }
  }
  return {
    scrapeSeconds: parseDuration(config.global?.scrape_interval ?? '1m') ?? 60,
    evaluationSeconds: parseDuration(config.global?.evaluation_interval ?? '1m') ?? 60,
    ruleFor,
  };
}

/**
 * The same, read from a running Prometheus' API (an attached stack whose files are not ours):
 * /api/v1/status/config for the intervals and /api/v1/rules for every alerting rule's `for`.
 */
export async function readDetectionConfigFromApi(prometheusUrl: string): Promise<DetectionConfig> {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${prometheusUrl}${path}`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => {
      throw new SandboxError('RUNTIME_UNAVAILABLE', `Prometheus at ${prometheusUrl} does not answer: ${e.message}`);
    });
    if (!res.ok) throw new SandboxError('RUNTIME_UNAVAILABLE', `Prometheus at ${prometheusUrl}${path}: HTTP ${res.status}`);
    return ((await res.json()) as { data: T }).data;
  };
  const config = parse((await get<{ yaml: string }>('/api/v1/status/config')).yaml) as { global?: { scrape_interval?: string; evaluation_interval?: string } };
  const rules = await get<{ groups: { rules: { type: string; name: string; duration?: number }[] }[] }>('/api/v1/rules?type=alert');
  const ruleFor = new Map<string, number>();
  for (const g of rules.groups) for (const r of g.rules) if (r.type === 'alerting') ruleFor.set(r.name, r.duration ?? 0);
  return {
    scrapeSeconds: parseDuration(config.global?.scrape_interval ?? '1m') ?? 60,
    evaluationSeconds: parseDuration(config.global?.evaluation_interval ?? '1m') ?? 60,
    ruleFor,
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

/**
 * For a rule that reacts to one sample: it cannot fire before `for` has elapsed on the
 * evaluation grid (floor), and fires at the latest one scrape, one evaluation and `for` after
 * the fault (ceiling).
 */
export function detectionBounds(config: DetectionConfig, alert: NameMatcher): { floor: number; ceiling: number } | null {
  const name = [...config.ruleFor.keys()].find((n) => matchesName(alert, n));
  if (name === undefined) return null;
  const forSeconds = config.ruleFor.get(name)!;
  const ev = config.evaluationSeconds;
  const floor = forSeconds === 0 ? 0 : Math.ceil(forSeconds / ev - 1e-9) * ev;
  return { floor, ceiling: config.scrapeSeconds + ev + forSeconds };
}

/**
 * A target below the floor cannot be met by this configuration: reject it before the run.
 * Below the ceiling it can be met only sometimes: say so, as a warning.
 */
export function checkDetectionBudget(scenario: Scenario, config: DetectionConfig): { warnings: string[] } {
  const warnings: string[] = [];
  const problems: string[] = [];
  for (const exp of scenario.expectations) {
    if (exp.kind !== 'alert') continue;
    const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
    const bounds = detectionBounds(config, exp.alert);
    const name = matcherText(exp.alert);
    if (!bounds) {
      problems.push(`alert ${name} is not defined by any loaded rule file (known: ${[...config.ruleFor.keys()].sort().join(', ') || 'none'})`);
      continue;
    }
    if (within === null) continue;
    if (within < bounds.floor) {
      problems.push(`alert ${name} must fire within ${within}s, but its rule cannot fire sooner than ${bounds.floor}s (its \`for\` on a ${config.evaluationSeconds}s evaluation interval)`);
    } else if (within < bounds.ceiling) {
      warnings.push(`alert ${name}: target ${within}s is below the detection ceiling ${bounds.ceiling}s (scrape + evaluation + for): the scenario may be flaky`);
    }
  }
  if (problems.length > 0) {
    throw new SandboxError('INVALID_SCENARIO', `${scenario.file}: impossible expectations`, {
      details: problems,
      hint: 'raise the target, lower the rule\'s `for`, or fix the alert name',
    });
  }
  return { warnings };
}

