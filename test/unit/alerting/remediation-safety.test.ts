import { describe, expect, it } from 'vitest';
import { findPlaybook, matcherHolds, playbookMatches, targetService } from '../../../scripts/alerting/remediation/match.ts';
import { alertInstance, decide, emptyKeyState, finished, SafetyGate, started, type SafetyLimits } from '../../../scripts/alerting/remediation/safety.ts';

describe('matching', () => {
  it('matches exact values and anchored /regex/ values; a missing label is empty', () => {
    expect(matcherHolds('ServiceDown', 'ServiceDown')).toBe(true);
    expect(matcherHolds('ServiceDown', 'ServiceDownish')).toBe(false);
    expect(matcherHolds('/HighLatencyP9[59]/', 'HighLatencyP99')).toBe(true);
    expect(matcherHolds('/HighLatencyP9[59]/', 'xHighLatencyP99')).toBe(false);
    expect(matcherHolds('/A|B/', 'B')).toBe(true);
    expect(matcherHolds('/A|B/', 'AB')).toBe(false);
    expect(matcherHolds('', undefined)).toBe(true);
    expect(matcherHolds('ml-service', undefined)).toBe(false);
  });

  it('needs every matcher to hold and picks the first matching playbook', () => {
    const playbooks: { name: string; match: Record<string, string> }[] = [
      { name: 'ml', match: { alertname: 'HighErrorRate', service: 'ml-service' } },
      { name: 'gw', match: { alertname: 'HighErrorRate', service: 'api-gateway' } },
      { name: 'any', match: { alertname: '/High.*/' } },
    ];
    expect(playbookMatches(playbooks[0]!, { alertname: 'HighErrorRate' })).toBe(false);
    expect(findPlaybook(playbooks, { alertname: 'HighErrorRate', service: 'api-gateway' })?.name).toBe('gw');
    expect(findPlaybook(playbooks, { alertname: 'HighErrorRate', service: 'other' })?.name).toBe('any');
    expect(findPlaybook(playbooks, { alertname: 'ServiceDown', service: 'ml-service' })).toBeUndefined();
  });

  it('takes the service from the action, else from the alert', () => {
    expect(targetService({ action: 'restart', service: 'ml-service' }, { service: 'api-gateway' })).toBe('ml-service');
    expect(targetService({ action: 'restart' }, { service: 'api-gateway' })).toBe('api-gateway');
    expect(targetService({ action: 'restart' }, {})).toBeUndefined();
    // An alert on a scale-out replica acts on that instance; scale-out on the whole service.
    const replica = { service: 'ml-service', replica: 'ml-service-2' };
    expect(targetService({ action: 'restart' }, replica)).toBe('ml-service-2');
    expect(targetService({ action: 'restart', service: 'ml-service' }, replica)).toBe('ml-service-2');
    expect(targetService({ action: 'circuit-breaker', service: 'api-gateway', state: 'open' }, replica)).toBe('api-gateway');
    expect(targetService({ action: 'scale-out', replicas: 2 }, replica)).toBe('ml-service');
  });
});

const limits: SafetyLimits = { cooldown: 30_000, maxAttempts: 3, window: 600_000 };
const A = alertInstance('fp1', '2026-01-01T00:00:00Z');
const B = alertInstance('fp1', '2026-01-01T00:05:00Z'); // same series, a new firing

describe('safety rules (pure)', () => {
  it('runs the first time, then calls a resend of the same alert a duplicate within the cooldown', () => {
    let s = emptyKeyState();
    expect(decide(s, A, 0, limits)).toEqual({ run: true });
    s = finished(started(s, A, 0, limits));
    expect(decide(s, A, 1_000, limits)).toMatchObject({ run: false, reason: 'duplicate' });
    expect(decide(s, A, 29_999, limits)).toMatchObject({ run: false, reason: 'duplicate' });
  });

  it('calls another alert on the same key within the cooldown a cooldown skip', () => {
    const s = finished(started(emptyKeyState(), A, 0, limits));
    expect(decide(s, B, 10_000, limits)).toMatchObject({ run: false, reason: 'cooldown' });
    expect(decide(s, B, 30_000, limits)).toEqual({ run: true });
  });

  it('retries a still-firing alert after the cooldown, up to maxAttempts per window', () => {
    let s = emptyKeyState();
    for (const t of [0, 30_000, 60_000]) {
      expect(decide(s, A, t, limits)).toEqual({ run: true });
      s = finished(started(s, A, t, limits));
    }
    expect(decide(s, A, 90_000, limits)).toMatchObject({ run: false, reason: 'max-attempts' });
    // The first attempt leaves the 10m window: one more is allowed.
    expect(decide(s, A, 600_000, limits)).toEqual({ run: true });
  });

  it('does not start a second attempt while one runs past its cooldown', () => {
    const s = started(emptyKeyState(), A, 0, limits);
    expect(decide(s, B, 45_000, limits)).toMatchObject({ run: false, reason: 'in-progress' });
    expect(decide(finished(s), B, 45_000, limits)).toEqual({ run: true });
  });

  it('does not change the state it is given', () => {
    const s = emptyKeyState();
    started(s, A, 0, limits);
    expect(s.attempts).toEqual([]);
    expect(s.handled.size).toBe(0);
  });
});

describe('SafetyGate', () => {
  it('keeps keys apart, decides and starts in one step, and forgets everything on reset', () => {
    let now = 0;
    const gate = new SafetyGate(() => now);
    expect(gate.tryStart('k1', A, limits).run).toBe(true);
    expect(gate.tryStart('k1', A, limits)).toMatchObject({ run: false, reason: 'duplicate' });
    expect(gate.tryStart('k2', A, limits).run).toBe(true);
    gate.finish('k1');
    now = 31_000;
    expect(gate.tryStart('k1', B, limits).run).toBe(true);
    gate.reset();
    expect(gate.tryStart('k1', B, limits).run).toBe(true);
  });
});
