import { describe, expect, it } from 'vitest';
import { stamp, type WorkshopEvent, type WorkshopEventBody } from '../../../scripts/workshop/events.ts';
import { milestones, score, SCORING } from '../../../scripts/workshop/scoring.ts';

const T0 = Date.parse('2026-11-22T14:00:00.000Z');
const at = (t: number, body: WorkshopEventBody): WorkshopEvent => stamp(body, T0, T0 + t * 1000);

/** A trainee who took 30s to ack, diagnosed wrongly once, then right, took one hint, recovered. */
const session: WorkshopEvent[] = [
  at(0, { kind: 'workshop-start', seed: 1, difficulty: 'normal', remediation: false }),
  at(5, { kind: 'alert-firing', alert: 'TrafficAnomaly', labels: {} }), // before the incident: not the page
  at(20, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f1' }),
  at(24, { kind: 'alert-firing', alert: 'ServiceDown', labels: { service: 'ml-service' } }),
  at(54, { kind: 'ack', alerts: ['ServiceDown'] }),
  at(60, { kind: 'diagnose', service: 'ml-service', cause: 'latency', correct: false }),
  at(65, { kind: 'hint', level: 1, cost: 5 }),
  at(80, { kind: 'diagnose', service: 'ml-service', cause: 'crash', correct: true }),
  at(90, { kind: 'fix', action: 'restart', service: 'ml-service', ok: true, detail: '' }),
  at(95, { kind: 'alert-resolved', alert: 'ServiceDown', labels: { service: 'ml-service' } }),
  at(95, { kind: 'recovered', how: 'ServiceDown resolved' }),
];

describe('milestones', () => {
  it('measures ack from the first alert after the incident, diagnosis and recovery from the fault', () => {
    const m = milestones(session);
    expect(m).toMatchObject({
      incidentStartT: 20,
      firstAlertT: 24,
      firstAlert: 'ServiceDown',
      timeToAckSeconds: 30,
      timeToDiagnosisSeconds: 60,
      timeToRecoverySeconds: 75,
      wrongDiagnoses: 1,
      hints: [1],
      hintPoints: 5,
    });
  });

  it('is null for what has not happened', () => {
    const m = milestones(session.slice(0, 3));
    expect(m).toMatchObject({ incidentStartT: 20, firstAlertT: null, timeToAckSeconds: null, timeToDiagnosisSeconds: null, timeToRecoverySeconds: null, wrongDiagnoses: 0, hints: [] });
  });

  it('counts every wrong diagnosis and only the first correct one', () => {
    const m = milestones([
      ...session.slice(0, 4),
      at(30, { kind: 'diagnose', service: 'api-gateway', cause: 'crash', correct: false }),
      at(31, { kind: 'diagnose', service: 'ml-service', cause: 'errors', correct: false }),
      at(40, { kind: 'diagnose', service: 'ml-service', cause: 'crash', correct: true }),
      at(50, { kind: 'diagnose', service: 'ml-service', cause: 'crash', correct: true }),
    ]);
    expect(m.wrongDiagnoses).toBe(2);
    expect(m.timeToDiagnosisSeconds).toBe(20);
  });

  it('does not depend on the order lines were appended in', () => {
    expect(milestones([...session].reverse().sort((a, b) => a.t - b.t))).toEqual(milestones(session));
  });
});

describe('score', () => {
  it('follows the documented formula', () => {
    const s = score(milestones(session));
    // 100 − 2·30/60 − 2·60/60 − 3·75/60 − 10 − 5 = 100 − 1 − 2 − 3.75 − 15
    expect(s.deductions.map((d) => d.points)).toEqual([1, 2, 3.8, 10, 5]);
    expect(s.total).toBe(78.2);
    expect(s.max).toBe(100);
  });

  it('a perfect instant response scores 100', () => {
    const m = milestones([
      at(0, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f' }),
      at(0, { kind: 'alert-firing', alert: 'ServiceDown', labels: {} }),
      at(0, { kind: 'ack', alerts: [] }),
      at(0, { kind: 'diagnose', service: 'ml-service', cause: 'crash', correct: true }),
      at(0, { kind: 'recovered', how: 'x' }),
    ]);
    expect(score(m).total).toBe(100);
  });

  it('charges the fixed penalty for every milestone never reached', () => {
    const s = score(milestones([at(0, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f' })]));
    expect(s.total).toBe(SCORING.start - SCORING.missed.ack - SCORING.missed.diagnosis - SCORING.missed.recovery);
    expect(s.deductions.map((d) => d.reason)).toEqual(['never acknowledged', 'never diagnosed correctly', 'never recovered']);
  });

  it('never goes below zero', () => {
    const wrong = Array.from({ length: 20 }, (_, i) => at(i + 1, { kind: 'diagnose', service: 'ml-service', cause: 'errors', correct: false }));
    const s = score(milestones([at(0, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f' }), ...wrong]));
    expect(s.total).toBe(0);
  });

  it('hints cost by level', () => {
    const hints = [1, 2, 3].map((level, i) => at(i, { kind: 'hint', level, cost: [5, 10, 15][i]! }));
    const base = score(milestones(session.filter((e) => e.kind !== 'hint'))).total;
    const s = score(milestones([...session.filter((e) => e.kind !== 'hint'), ...hints].sort((a, b) => a.t - b.t)));
    expect(Math.round((base - s.total) * 10) / 10).toBe(30);
  });
});
