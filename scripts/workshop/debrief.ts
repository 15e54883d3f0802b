import { formatSeconds } from '../core/duration.ts';
import { describeEvent, type WorkshopEvent } from './events.ts';
import type { PlannedFault } from './plan.ts';
import { milestones, score, type Milestones, type Score } from './scoring.ts';
import type { WorkshopState } from './state.ts';

/** The post-incident review of one workshop round: what happened, what the trainees did, the score. */
export interface Debrief {
  scenario: string;
  description?: string;
  seed: number;
  difficulty: string;
  remediation: boolean;
  startedAt: string;
  quietPeriodSeconds: number;
  faults: PlannedFault[];
  primaryAlert: string | null;
  /** False while the workshop still runs: milestones not reached yet are counted as missed. */
  finished: boolean;
  milestones: Milestones;
  score: Score;
  timeline: (WorkshopEvent & { detail: string })[];
}

/** Kinds shown in the timeline (pending alerts are noise in a review). */
const SHOWN = new Set<WorkshopEvent['kind']>([
  'workshop-start', 'load-start', 'fault-start', 'fault-end', 'alert-firing', 'alert-resolved', 'notification', 'remediation',
  'process-exit', 'process-start', 'ack', 'diagnose', 'fix', 'hint', 'recovered', 'reveal', 'reset', 'workshop-stop', 'driver-error',
]);

export function buildDebrief(state: WorkshopState, events: readonly WorkshopEvent[]): Debrief {
  const m = milestones(events);
  return {
    scenario: state.plan.scenario,
    ...(state.plan.description ? { description: state.plan.description } : {}),
    seed: state.plan.seed,
    difficulty: state.plan.difficulty,
    remediation: state.remediation,
    startedAt: state.startedAt,
    quietPeriodSeconds: state.plan.quietPeriodSeconds,
    faults: state.plan.faults,
    primaryAlert: state.plan.primaryAlert,
    finished: state.phase === 'ended',
    milestones: m,
    score: score(m),
    timeline: events.filter((e) => SHOWN.has(e.kind)).map((e) => ({ ...e, detail: describeEvent(e) })),
  };
}

/** The terminal scorecard. */
export function scorecardText(d: Debrief): string {
  const m = d.milestones;
  const lines = [
    `Workshop debrief: ${d.scenario} (seed ${d.seed}, ${d.difficulty})${d.finished ? '' : ' — still running'}`,
    d.description ? `  ${d.description}` : '',
    `  incident: ${d.faults.map((f) => `${f.type} on ${f.service}`).join(', ')}, injected ${m.incidentStartT === null ? 'not yet' : `at +${formatSeconds(m.incidentStartT)}`}`,
    '',
    `  time to acknowledge      ${pad(formatSeconds(m.timeToAckSeconds))}${m.firstAlert ? `(from ${m.firstAlert} firing)` : ''}`,
    `  time to diagnosis        ${pad(formatSeconds(m.timeToDiagnosisSeconds))}`,
    `  time to recovery         ${pad(formatSeconds(m.timeToRecoverySeconds))}`,
    `  wrong diagnoses          ${m.wrongDiagnoses}`,
    `  hints used               ${m.hints.length}`,
    '',
    `  score ${d.score.total} / ${d.score.max}`,
    ...d.score.deductions.map((x) => `    −${x.points.toFixed(1).padStart(5)}  ${x.reason}`),
  ];
  return lines.filter((l, i) => l !== '' || i > 1).join('\n');
}

const pad = (s: string) => s.padEnd(10);

export function timelineText(d: Debrief): string {
  return d.timeline.map((e) => `  +${e.t.toFixed(1).padStart(6)}s  ${e.detail}`).join('\n');
}
