import { join } from 'node:path';
import { errorRatioExpr } from '../../alerting/slo/render.ts';
import { loadSpec, type Slo, type SloSpec } from '../../alerting/slo/spec.ts';
import { errorBudget } from '../../alerting/slo/windows.ts';
import { SandboxError } from '../../core/errors.ts';
import { PROJECT_ROOT } from '../../core/paths.ts';

/** The budget period the workbook's burn rates are defined over: 30 days. */
const PERIOD_SECONDS = 30 * 86_400;

export const SLO_SPEC_FILE = join(PROJECT_ROOT, 'compose/prometheus/slo/slos.yml');

export interface SloBudgetReading {
  slo: string;
  /** Bad events / all events over the scenario. */
  errorRatio: number;
  /** Share of the period's error budget the scenario consumed (1 = all of it). */
  budgetBurned: number;
}

export function sloNames(spec: SloSpec = loadSpec(SLO_SPEC_FILE)): string[] {
  return spec.slos.map((s) => s.name);
}

/**
 * How much error budget an SLO lost during the scenario, from Prometheus: the SLI's error ratio
 * over the scenario's length, times that length as a share of the budget period at the
 * sandbox's time scale, over the budget (1 - objective).
 */
export async function readSloBudget(prometheusUrl: string, name: string, windowSeconds: number, spec: SloSpec = loadSpec(SLO_SPEC_FILE)): Promise<SloBudgetReading> {
  const slo: Slo | undefined = spec.slos.find((s) => s.name === name);
  if (!slo) throw new SandboxError('INVALID_SCENARIO', `unknown SLO "${name}"`, { hint: `SLOs in ${SLO_SPEC_FILE}: ${sloNames(spec).join(', ')}` });
  const scale = spec.scales.find((s) => s.name === 'sandbox') ?? spec.scales[0]!;
  const window = `${Math.max(1, Math.ceil(windowSeconds))}s`;
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(errorRatioExpr(slo, window))}`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new SandboxError('REMOTE_ERROR', `Prometheus could not compute SLO ${name}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const raw = Number(body.data.result[0]?.value[1] ?? 0);
  const errorRatio = Number.isFinite(raw) ? raw : 0;
  const periodSeconds = PERIOD_SECONDS * scale.timeFactor;
  const budgetBurned = (errorRatio * windowSeconds) / periodSeconds / errorBudget(slo.objective);
  return { slo: name, errorRatio: round(errorRatio), budgetBurned: round(budgetBurned) };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
