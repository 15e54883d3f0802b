import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendEvent, readEvents, stamp } from '../../../scripts/workshop/events.ts';
import { alertMatches, recoveryOf } from '../../../scripts/workshop/recovery.ts';

const primary = { alert: 'ServiceDown', labels: { service: 'ml-service' } };
const down = { alert: 'ServiceDown', labels: { service: 'ml-service', severity: 'critical' } };

describe('recovery', () => {
  it('is the primary alert resolved after it fired', () => {
    expect(recoveryOf(primary, [down], [{ ended: true }], true)).toBeNull();
    expect(recoveryOf(primary, [], [{ ended: false }], true)).toBe('ServiceDown resolved');
    // Other alerts still firing (a slow SLO burn window) do not hold recovery back.
    expect(recoveryOf(primary, [{ alert: 'SLOErrorBudgetBurn', labels: {} }], [{ ended: true }], true)).toBe('ServiceDown resolved');
  });

  it('where the alert never fired, is every fault ended', () => {
    expect(recoveryOf(primary, [], [{ ended: false }], false)).toBeNull();
    expect(recoveryOf(primary, [], [{ ended: true }, { ended: true }], false)).toBe('every fault ended before the alert fired');
    expect(recoveryOf(null, [], [{ ended: true }], false)).toBe('every fault ended before the alert fired');
  });

  it('needs an incident', () => {
    expect(recoveryOf(primary, [], [], true)).toBeNull();
  });

  it('matches alert names, /regex/ names and labels', () => {
    expect(alertMatches(primary, down)).toBe(true);
    expect(alertMatches(primary, { alert: 'ServiceDown', labels: { service: 'api-gateway' } })).toBe(false);
    expect(alertMatches({ alert: '/HighLatencyP9[59]/', labels: {} }, { alert: 'HighLatencyP99', labels: {} })).toBe(true);
    expect(alertMatches({ alert: '/HighLatencyP9[59]/', labels: {} }, { alert: 'HighLatencyP999', labels: {} })).toBe(false);
  });
});

describe('event log', () => {
  it('round-trips, sorts by time and skips a line cut short by a killed writer', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ws-events-')), 'events.jsonl');
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    appendEvent(file, stamp({ kind: 'ack', alerts: ['X'] }, t0, t0 + 5000));
    appendEvent(file, stamp({ kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'a' }, t0, t0 + 2000));
    appendFileSync(file, '{"kind":"hint","le');
    const events = readEvents(file);
    expect(events.map((e) => [e.kind, e.t])).toEqual([['fault-start', 2], ['ack', 5]]);
    expect(events[1]!.at).toBe('2026-01-01T00:00:05.000Z');
  });
});
