import { faultEffect, loadDropEffect, type Span } from '../faults/effects.ts';
import type { DetectionContext } from './detection-model.ts';
import type { Scenario } from './model.ts';

/**
 * From the sandbox's reset forgetting Prometheus' history (scenario/prepare.ts) to the
 * scenario's start: the reset's own 2.5 s wait for resolved notifications at least; a slow rule
 * reload or load preparation at most. The runner measures the real value and bounds every run
 * with it; this estimate serves the checks made before anything runs.
 */
export const RESET_TO_START_SECONDS: Span = { min: 2.5, max: 8 };

/**
 * What the detection model needs to know about a scenario: what its first fault does (or, in a
 * scenario without faults, its load's fall), the load, and how much Prometheus history there is
 * at the fault's start. `historyAtStart`: seconds of history when the scenario started, measured;
 * undefined for the estimate above; null when history is not the sandbox's to forget (attached).
 */
export function detectionContext(scenario: Scenario, historyAtStart?: number | null): DetectionContext {
  const first = [...scenario.faults].sort((a, b) => a.atSeconds - b.atSeconds)[0];
  const origin = first?.atSeconds ?? 0;
  const weights = scenario.load.requests;
  const total = weights.reduce((a, r) => a + r.weight, 0);
  const predictShare = total > 0 ? weights.filter((r) => r.method === 'POST' && r.path === '/predict').reduce((a, r) => a + r.weight, 0) / total : 1;
  const requestRate = scenario.load.rate;
  const effect = first
    ? faultEffect({ type: first.type, service: first.service, params: first.params, requestRate, predictShare })
    : scenario.load.stages
      ? (loadDropEffect(scenario.load.startRate ?? 0, scenario.load.stages)?.effect ?? null)
      : null;
  const historySeconds =
    historyAtStart === null
      ? null
      : historyAtStart === undefined
        ? { min: RESET_TO_START_SECONDS.min + origin, max: RESET_TO_START_SECONDS.max + origin }
        : { min: historyAtStart + origin, max: historyAtStart + origin };
  return { effect, historySeconds, requestRate, predictShare };
}
