import { describe, expect, it } from 'vitest';
import { plotModel } from '../../../scripts/reporters/plot-model.ts';
import { ticks } from '../../../scripts/reporters/plot.ts';
import { ev, failedCrash, passedCrash } from './fixtures.ts';

const down = { service: 'ml-service' };

describe('timeline plot model', () => {
  it('turns the repaired crash into load, fault and alert windows and point markers', () => {
    const m = plotModel(passedCrash().timeline);
    expect([m.start, m.end, m.origin]).toEqual([0, 30.5, 5.433]);
    expect(m.load).toEqual([{ start: 0.431, end: 30.44, open: false, rate: 10, sent: 300, failed: 38 }]);
    expect(m.faults).toEqual([{ id: 'f-1', fault: 'crash', service: 'ml-service', start: 5.433, end: 10.34, open: false, reason: 'remediated' }]);
    expect(m.alerts).toHaveLength(1);
    expect(m.alerts[0]!.spans).toEqual([
      { state: 'pending', start: 6.6, end: 8.537, open: false },
      { state: 'firing', start: 8.537, end: 18.033, open: false },
    ]);
    expect(m.alerts[0]!.resolvedAt).toEqual([18.033]);
    expect([...m.notifications.keys()]).toEqual(['pagerduty', 'webhook']);
    expect(m.notifications.get('pagerduty')!.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(m.remediations.map((e) => e.result)).toEqual(['started', 'succeeded']);
    expect(m.processes.get('ml-service')!.map((e) => e.kind)).toEqual(['process-exit', 'process-start']);
  });

  it('leaves what never ended open to the end of the axis', () => {
    const m = plotModel(failedCrash().timeline);
    expect(m.alerts[0]!.spans.at(-1)).toEqual({ state: 'firing', start: 8.537, end: 35.5, open: true });
    const noEnd = plotModel([ev(1, { kind: 'load-start', rate: 5, durationSeconds: 60 }), ev(2, { kind: 'fault-start', fault: 'latency', service: 'ml-service', id: 'x' }), ev(9, { kind: 'scenario-end' })]);
    expect(noEnd.load[0]).toMatchObject({ start: 1, end: 9, open: true, sent: null });
    expect(noEnd.faults[0]).toMatchObject({ start: 2, end: 9, open: true, reason: null });
  });

  it('follows an alert through repeated episodes and keeps alerts with other labels apart', () => {
    const m = plotModel([
      ev(1, { kind: 'alert-pending', alert: 'HighLatency', labels: down }),
      ev(1.5, { kind: 'alert-pending', alert: 'HighLatency', labels: down }), // seen again: same span
      ev(2, { kind: 'alert-firing', alert: 'HighLatency', labels: down }),
      ev(3, { kind: 'alert-firing', alert: 'HighLatency', labels: { service: 'api-gateway' } }),
      ev(4, { kind: 'alert-resolved', alert: 'HighLatency', labels: down }),
      ev(6, { kind: 'alert-firing', alert: 'HighLatency', labels: down }),
      ev(8, { kind: 'scenario-end' }),
    ]);
    expect(m.alerts.map((a) => a.labels.service)).toEqual(['ml-service', 'api-gateway']);
    expect(m.alerts[0]!.spans).toEqual([
      { state: 'pending', start: 1, end: 2, open: false },
      { state: 'firing', start: 2, end: 4, open: false },
      { state: 'firing', start: 6, end: 8, open: true },
    ]);
    expect(m.alerts[0]!.resolvedAt).toEqual([4]);
    expect(m.alerts[1]!.spans).toEqual([{ state: 'firing', start: 3, end: 8, open: true }]);
  });

  it('puts round ticks across the axis', () => {
    expect(ticks(0, 35.5)).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    expect(ticks(0, 15.4)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(ticks(0, 130)).toEqual([0, 20, 40, 60, 80, 100, 120]);
    expect(ticks(-0.4, 1)).toEqual([-0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});
