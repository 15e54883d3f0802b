import { describe, expect, it } from 'vitest';
import { buildDebrief, scorecardText, timelineText } from '../../../scripts/workshop/debrief.ts';
import { renderDebriefHtml } from '../../../scripts/workshop/debrief-html.ts';
import { stamp, type WorkshopEvent, type WorkshopEventBody } from '../../../scripts/workshop/events.ts';
import type { WorkshopState } from '../../../scripts/workshop/state.ts';

const T0 = Date.parse('2026-11-22T14:00:00.000Z');
const at = (t: number, body: WorkshopEventBody): WorkshopEvent => stamp(body, T0, T0 + t * 1000);

const state: WorkshopState = {
  version: 1,
  session: 'abc',
  startedAt: new Date(T0).toISOString(),
  plan: {
    seed: 42,
    difficulty: 'normal',
    scenario: 'service-crash',
    scenarioFile: '/x/scenarios/service-crash.yaml',
    description: 'ml-service <crashes> & "restarts"',
    quietPeriodSeconds: 12,
    load: { rate: 10, requests: [] },
    faults: [{ type: 'crash', service: 'ml-service', atSeconds: 12, durationSeconds: null, params: {} }],
    expectedAlerts: [{ alert: 'ServiceDown', labels: { service: 'ml-service' } }],
    primaryAlert: 'ServiceDown',
    ruleFiles: [],
  },
  remediation: false,
  startedSandbox: true,
  driverPid: null,
  phase: 'ended',
  injected: [],
  recoveredAt: null,
  endedAt: null,
  updatedAt: new Date(T0).toISOString(),
};

const events: WorkshopEvent[] = [
  at(0, { kind: 'workshop-start', seed: 42, difficulty: 'normal', remediation: false }),
  at(0.5, { kind: 'load-start', rate: 10 }),
  at(12, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f1' }),
  at(12.2, { kind: 'process-exit', service: 'ml-service', code: 1, signal: null }),
  at(14, { kind: 'alert-pending', alert: 'ServiceDown', labels: { service: 'ml-service' } }),
  at(16, { kind: 'alert-firing', alert: 'ServiceDown', labels: { service: 'ml-service' } }),
  at(17, { kind: 'notification', receiver: 'pagerduty', alert: 'ServiceDown', status: 'firing' }),
  at(17.5, { kind: 'remediation', action: 'restart', service: 'ml-service', alert: 'ServiceDown', result: 'dry-run' }),
  at(20, { kind: 'ack', alerts: ['ServiceDown'] }),
  at(25, { kind: 'diagnose', service: 'ml-service', cause: 'latency', correct: false }),
  at(27, { kind: 'hint', level: 1, cost: 5 }),
  at(30, { kind: 'diagnose', service: 'ml-service', cause: 'crash', correct: true }),
  at(33, { kind: 'fix', action: 'restart', service: 'ml-service', ok: true, detail: 'ml-service restarted' }),
  at(33.1, { kind: 'process-start', service: 'ml-service' }),
  at(33.1, { kind: 'fault-end', fault: 'crash', service: 'ml-service', id: 'f1', reason: 'restarted' }),
  at(36, { kind: 'alert-resolved', alert: 'ServiceDown', labels: { service: 'ml-service' } }),
  at(36.2, { kind: 'recovered', how: 'ServiceDown resolved' }),
  at(40, { kind: 'workshop-stop' }),
];

describe('debrief', () => {
  const d = buildDebrief(state, events);

  it('carries milestones and score computed from the event log', () => {
    expect(d.milestones).toMatchObject({ timeToAckSeconds: 4, timeToDiagnosisSeconds: 18, timeToRecoverySeconds: 24.2, wrongDiagnoses: 1, hints: [1] });
    // 100 − 0.1 (4s ack) − 0.6 (18s) − 1.2 (24.2s at 3/min = 1.21) − 10 − 5
    expect(d.score.total).toBe(83.1);
    expect(d.finished).toBe(true);
    expect(d.timeline.some((e) => e.kind === 'alert-pending')).toBe(false);
    expect(d.timeline.find((e) => e.kind === 'diagnose')!.detail).toBe('diagnosis: latency on ml-service (wrong)');
  });

  it('prints a terminal scorecard and timeline', () => {
    const text = scorecardText(d);
    expect(text).toMatch(/service-crash \(seed 42, normal\)/);
    expect(text).toMatch(/time to acknowledge\s+4\.0s/);
    expect(text).toMatch(/wrong diagnoses\s+1/);
    expect(text).toMatch(/score 83\.1 \/ 100/);
    expect(timelineText(d)).toMatch(/\+\s+16\.0s {2}ServiceDown firing \{service="ml-service"\}/);
  });

  describe('HTML', () => {
    const html = renderDebriefHtml(d);

    it('needs no network: no external URLs, scripts, stylesheets, fonts or images', () => {
      expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
      expect(html).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/\b(src|href)\s*=/i);
      expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
      expect(html).not.toMatch(/@import|@font-face|url\(/i);
      expect(html).toContain('<style>');
    });

    it('escapes what came from scenarios and remote systems', () => {
      expect(html).toContain('ml-service &lt;crashes&gt; &amp; &quot;restarts&quot;');
      expect(html).not.toContain('<crashes>');
    });

    it('shows the score, the milestones and an SVG timeline with faults, alerts, trainee actions and recovery', () => {
      expect(html).toMatch(/<span>83\.1<\/span> \/ 100/);
      expect(html).toMatch(/<svg class="timeline"/);
      expect(html).toContain('fault: crash on ml-service');
      expect(html).toContain('alert: ServiceDown (ml-service)');
      expect(html).toContain('<title>+20s acknowledged: ServiceDown</title>');
      expect(html).toContain('<title>+25s diagnosis: latency on ml-service (wrong)</title>');
      expect(html).toContain('<title>+33s fix: restart ml-service (done)</title>');
      expect(html).toContain('+36.2s recovered (ServiceDown resolved)');
      expect(html).toContain('ServiceDown (ml-service) firing +16s → resolved +36s');
      expect(html).toMatch(/<td>1 \(levels 1\)<\/td>/);
    });

    it('renders a round with nothing recorded yet', () => {
      const empty = renderDebriefHtml(buildDebrief({ ...state, phase: 'quiet' }, []));
      expect(empty).toContain('No events were recorded.');
      expect(empty).toContain('still running');
    });
  });
});
