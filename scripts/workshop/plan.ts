import { parseDuration } from '../core/duration.ts';
import { SandboxError } from '../core/errors.ts';
import type { FaultType } from '../faults/catalog.ts';
import { matcherText, type Scenario } from '../scenario/model.ts';
import { intBetween, seededRandom, type Rng } from './rng.ts';

export const DIFFICULTIES = ['easy', 'normal', 'hard'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/**
 * Seconds of calm before the incident, by difficulty: trainees must not know when it comes.
 * Easy is short; hard leaves time to get bored.
 */
export const QUIET_PERIOD_RANGE: Record<Difficulty, readonly [number, number]> = {
  easy: [5, 15],
  normal: [10, 40],
  hard: [20, 60],
};

/**
 * How much stronger than the scenario file a fault is made, by difficulty (a factor drawn in
 * this range). Only upwards, so every alert a scenario expects still fires: easy incidents are
 * louder, hard ones exactly as the scenario wrote them.
 */
export const INTENSITY_RANGE: Record<Difficulty, readonly [number, number]> = {
  easy: [1.2, 1.5],
  normal: [1.0, 1.25],
  hard: [1.0, 1.0],
};

export interface PlannedFault {
  type: FaultType;
  service: string;
  /** Seconds after the workshop started. */
  atSeconds: number;
  durationSeconds: number | null;
  params: Record<string, unknown>;
}

/** Everything that makes an incident: what the trainees must find, fixed by the seed. */
export interface IncidentPlan {
  seed: number;
  difficulty: Difficulty;
  scenario: string;
  scenarioFile: string;
  description?: string;
  quietPeriodSeconds: number;
  load: { rate: number; requests: { method: string; path: string; weight: number }[] };
  faults: PlannedFault[];
  /** Alerts the scenario expects (names or /regex/), first one is the primary alert. */
  expectedAlerts: { alert: string; labels: Record<string, string> }[];
  /** The alert whose resolution means recovery; null when the scenario names none exactly. */
  primaryAlert: string | null;
  ruleFiles: string[];
}

export function isDifficulty(v: string): v is Difficulty {
  return (DIFFICULTIES as readonly string[]).includes(v);
}

export function parseDifficulty(raw: string | undefined): Difficulty {
  const v = raw ?? 'normal';
  if (!isDifficulty(v)) {
    throw new SandboxError('INVALID_ARGUMENT', `difficulty "${v}" is not one of ${DIFFICULTIES.join(', ')}`);
  }
  return v;
}

/** Scenarios a workshop can use blind: those that break something. Sorted by name, so a seed means the same everywhere. */
export function workshopPool(scenarios: readonly Scenario[]): Scenario[] {
  return scenarios.filter((s) => s.faults.length > 0).sort((a, b) => a.name.localeCompare(b.name));
}

export interface PickOptions {
  seed: number;
  difficulty: Difficulty;
  /** The catalog to draw from (--random). */
  catalog: readonly Scenario[];
  /** A chosen scenario (--scenario); the seed still fixes quiet period and fault parameters. */
  scenario?: Scenario;
  /** Override of the drawn quiet period (tests, demos). */
  quietPeriodSeconds?: number;
}

/**
 * The incident for a seed. Draws happen in a fixed order (scenario, quiet period, one intensity
 * per fault) whether or not the scenario was chosen by name, so the same seed and flags always
 * give the same plan.
 */
export function pickIncident(options: PickOptions): IncidentPlan {
  const rng = seededRandom(options.seed);
  const pool = workshopPool(options.catalog);
  const drawn = pool.length > 0 ? pool[intBetween(rng, 0, pool.length - 1)] : undefined;
  const scenario = options.scenario ?? drawn;
  if (!scenario) throw new SandboxError('INVALID_ARGUMENT', 'no scenario with faults to choose from', { hint: 'pass --scenario <name|file>' });
  if (scenario.faults.length === 0) {
    throw new SandboxError('INVALID_ARGUMENT', `scenario ${scenario.name} injects no fault: there would be no incident to find`, {
      hint: 'choose a scenario with faults (`npx sandbox scenarios`), or --random',
    });
  }
  const [lo, hi] = QUIET_PERIOD_RANGE[options.difficulty];
  const drawnQuiet = intBetween(rng, lo, hi);
  const quiet = options.quietPeriodSeconds ?? drawnQuiet;
  const firstAt = Math.min(...scenario.faults.map((f) => f.atSeconds));
  const [ilo, ihi] = INTENSITY_RANGE[options.difficulty];
  const faults = scenario.faults.map((f) => {
    const factor = Math.round((ilo + rng() * (ihi - ilo)) * 100) / 100;
    return {
      type: f.type,
      service: f.service,
      atSeconds: round3(quiet + f.atSeconds - firstAt),
      durationSeconds: f.durationSeconds,
      params: intensify(f.type, f.params, factor),
    };
  });
  const alerts = scenario.expectations.flatMap((e) => (e.kind === 'alert' ? [{ alert: matcherText(e.alert), labels: e.labels }] : []));
  const primary = scenario.expectations.find((e) => e.kind === 'alert');
  return {
    seed: options.seed,
    difficulty: options.difficulty,
    scenario: scenario.name,
    scenarioFile: scenario.file,
    ...(scenario.description ? { description: scenario.description } : {}),
    quietPeriodSeconds: quiet,
    load: { rate: scenario.load.rate, requests: scenario.load.requests.map((r) => ({ ...r })) },
    faults,
    expectedAlerts: alerts,
    primaryAlert: primary && primary.kind === 'alert' && primary.alert.kind === 'exact' ? primary.alert.value : null,
    ruleFiles: [...scenario.ruleFiles],
  };
}

/**
 * A fault made `factor` times stronger: latency delay, error and CPU ratios, leak rate. Other
 * parameters (and a factor of 1) leave the scenario's params exactly as written.
 */
export function intensify(type: FaultType, params: Record<string, unknown>, factor: number): Record<string, unknown> {
  if (factor === 1) return { ...params };
  const out = { ...params };
  if (type === 'latency' && typeof params.delay === 'string') {
    const s = parseDuration(params.delay);
    if (s !== null) out.delay = `${Math.round(s * 1000 * factor)}ms`;
  }
  if (type === 'errors' && typeof params.ratio === 'number') out.ratio = Math.min(0.95, round2(params.ratio * factor));
  if (type === 'cpu-burn' && typeof params.ratio === 'number') out.ratio = Math.min(1, round2(params.ratio * factor));
  if (type === 'memory-leak' && typeof params.rate === 'string') {
    const m = /^(\d+(?:\.\d+)?)(KB|MB|GB)\/s$/.exec(params.rate);
    if (m) out.rate = `${Math.round(Number(m[1]) * factor * 10) / 10}${m[2]}/s`;
  }
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Trainee-facing name of the incident's fault types, for checking a diagnosis. */
export function isCorrectDiagnosis(plan: IncidentPlan, service: string, cause: string): boolean {
  return plan.faults.some((f) => f.service === service && f.type === cause);
}

/** When the incident starts (the first fault), in seconds after the workshop started. */
export function incidentAtSeconds(plan: IncidentPlan): number {
  return Math.min(...plan.faults.map((f) => f.atSeconds));
}

export type { Rng };
