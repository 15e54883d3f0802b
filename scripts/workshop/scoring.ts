import type { WorkshopEventOf, WorkshopEvent } from './events.ts';

/**
 * Workshop scoring, pure functions over the event log.
 *
 * Milestones (seconds):
 * - time to acknowledge: first alert firing after the incident started → first `ack`;
 * - time to diagnosis: first fault injected → first correct `diagnose`;
 * - time to recovery: first fault injected → recovery (the scenario's primary alert resolved
 *   after firing, or, where it never fired, the faults ended and the service is healthy again).
 *
 * Score: start at 100 and subtract
 * - 2 points per minute to acknowledge, 2 per minute to a correct diagnosis, 3 per minute to
 *   recovery (pro rata, to a tenth of a point);
 * - 10 points per wrong diagnosis;
 * - 5, 10 and 15 points for hints of level 1, 2 and 3;
 * - for a milestone never reached: 20 (no ack), 25 (no correct diagnosis), 30 (no recovery).
 * Each deduction is rounded to 0.1; the total is never below 0.
 */
export const SCORING = {
  start: 100,
  perMinute: { ack: 2, diagnosis: 2, recovery: 3 },
  wrongDiagnosis: 10,
  missed: { ack: 20, diagnosis: 25, recovery: 30 },
} as const;

export interface Milestones {
  /** Seconds since the workshop started; null until it happened. */
  incidentStartT: number | null;
  firstAlertT: number | null;
  firstAlert: string | null;
  ackT: number | null;
  correctDiagnosisT: number | null;
  recoveredT: number | null;
  timeToAckSeconds: number | null;
  timeToDiagnosisSeconds: number | null;
  timeToRecoverySeconds: number | null;
  wrongDiagnoses: number;
  /** Levels of the hints taken, in order. */
  hints: number[];
  hintPoints: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function milestones(events: readonly WorkshopEvent[]): Milestones {
  const first = <K extends WorkshopEvent['kind']>(kind: K, where: (e: WorkshopEventOf<K>) => boolean = () => true): WorkshopEventOf<K> | undefined =>
    events.find((e): e is WorkshopEventOf<K> => e.kind === kind && where(e as WorkshopEventOf<K>));
  const incident = first('fault-start');
  const alert = incident ? first('alert-firing', (e) => e.t >= incident.t) : undefined;
  const ack = first('ack');
  const correct = first('diagnose', (e) => e.correct);
  const recovered = first('recovered');
  const hints = events.filter((e): e is WorkshopEventOf<'hint'> => e.kind === 'hint');
  const since = (from: { t: number } | undefined, to: { t: number } | undefined) => (from && to ? round3(Math.max(0, to.t - from.t)) : null);
  return {
    incidentStartT: incident?.t ?? null,
    firstAlertT: alert?.t ?? null,
    firstAlert: alert?.alert ?? null,
    ackT: ack?.t ?? null,
    correctDiagnosisT: correct?.t ?? null,
    recoveredT: recovered?.t ?? null,
    timeToAckSeconds: since(alert, ack),
    timeToDiagnosisSeconds: since(incident, correct),
    timeToRecoverySeconds: since(incident, recovered),
    wrongDiagnoses: events.filter((e) => e.kind === 'diagnose' && !e.correct).length,
    hints: hints.map((h) => h.level),
    hintPoints: hints.reduce((n, h) => n + h.cost, 0),
  };
}

export interface Deduction {
  reason: string;
  points: number;
}

export interface Score {
  total: number;
  max: number;
  deductions: Deduction[];
}

export function score(m: Milestones): Score {
  const deductions: Deduction[] = [];
  const timed = (label: string, seconds: number | null, perMinute: number, missed: number, missedReason: string) => {
    if (seconds === null) deductions.push({ reason: missedReason, points: missed });
    else deductions.push({ reason: `${label}: ${seconds.toFixed(1)}s at ${perMinute}/min`, points: round1((perMinute * seconds) / 60) });
  };
  timed('time to acknowledge', m.timeToAckSeconds, SCORING.perMinute.ack, SCORING.missed.ack, 'never acknowledged');
  timed('time to correct diagnosis', m.timeToDiagnosisSeconds, SCORING.perMinute.diagnosis, SCORING.missed.diagnosis, 'never diagnosed correctly');
  timed('time to recovery', m.timeToRecoverySeconds, SCORING.perMinute.recovery, SCORING.missed.recovery, 'never recovered');
  if (m.wrongDiagnoses > 0) deductions.push({ reason: `${m.wrongDiagnoses} wrong diagnos${m.wrongDiagnoses === 1 ? 'is' : 'es'}`, points: m.wrongDiagnoses * SCORING.wrongDiagnosis });
  if (m.hints.length > 0) deductions.push({ reason: `${m.hints.length} hint${m.hints.length === 1 ? '' : 's'} (levels ${m.hints.join(', ')})`, points: m.hintPoints });
  const lost = deductions.reduce((n, d) => n + d.points, 0);
  return { total: Math.max(0, round1(SCORING.start - lost)), max: SCORING.start, deductions };
}
