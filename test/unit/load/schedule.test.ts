import { describe, expect, it } from 'vitest';
import { arrivalTimes, durationText, expectedArrivals, peakRate, rateAt, type ArrivalProfile } from '../../../scripts/load/schedule.ts';

const ramp = (startRate: number, stages: [number, number][], durationSeconds: number): ArrivalProfile => ({
  executor: 'ramping-arrival-rate',
  rate: 0,
  startRate,
  stages: stages.map(([target, d]) => ({ target, durationSeconds: d })),
  durationSeconds,
});

describe('arrival schedule', () => {
  it('constant-arrival-rate: request i at i / rate, floor(rate × duration) in all (as the driver always sent)', () => {
    const times = [...arrivalTimes({ rate: 5, durationSeconds: 20 })];
    expect(times).toHaveLength(100);
    times.forEach((t, i) => expect(t).toBeCloseTo(i / 5, 9));
    expect([...arrivalTimes({ rate: 0.5, durationSeconds: 3 })]).toHaveLength(1);
    expect([...arrivalTimes({ rate: 0, durationSeconds: 30 })]).toEqual([]);
    expect(rateAt({ rate: 5, durationSeconds: 20 }, 19.9)).toBe(5);
    expect(rateAt({ rate: 5, durationSeconds: 20 }, 20)).toBe(0);
  });

  it('ramping 0 → 10 rps over 10s sends ≈ 50 requests, denser towards the end', () => {
    const p = ramp(0, [[10, 10]], 10);
    const times = [...arrivalTimes(p)];
    expect(Math.abs(times.length - 50)).toBeLessThanOrEqual(1);
    expect(expectedArrivals(p)).toBe(50);
    expect(rateAt(p, 5)).toBeCloseTo(5, 9);
    // The integral of t over [0, x] is x²/2: arrival i at √(2i).
    expect(times[49]).toBeCloseTo(Math.sqrt(98), 6);
    expect(times.filter((t) => t < 5).length).toBeCloseTo(12.5, -1);
  });

  it('holds the last target after the stages until the duration ends', () => {
    const p = ramp(2, [[10, 4], [4, 2]], 10);
    expect(rateAt(p, 0)).toBe(2);
    expect(rateAt(p, 2)).toBeCloseTo(6, 9);
    expect(rateAt(p, 5)).toBeCloseTo(7, 9);
    expect(rateAt(p, 9.5)).toBe(4);
    expect(peakRate(p)).toBe(10);
    // 4s averaging 6, 2s averaging 7, 4s at 4: 24 + 14 + 16
    const times = [...arrivalTimes(p)];
    expect(times).toHaveLength(54);
    expect(times.every((t, i) => t < 10 && (i === 0 || t > times[i - 1]!))).toBe(true);
  });

  it('ramps down and truncates stages that run past the duration', () => {
    expect([...arrivalTimes(ramp(10, [[0, 10]], 10))]).toHaveLength(50);
    const cut = ramp(0, [[20, 20]], 10); // reaches 10 rps at the end
    expect(rateAt(cut, 9.999)).toBeCloseTo(10, 2);
    expect([...arrivalTimes(cut)]).toHaveLength(50);
  });

  it('is bounded: at most the integral, never past the duration', () => {
    const p = ramp(1000, [[1000, 5]], 5);
    let n = 0;
    let last = 0;
    for (const t of arrivalTimes(p)) {
      n += 1;
      last = t;
    }
    expect(n).toBe(5000);
    expect(last).toBeLessThan(5);
  });

  it('formats durations for k6', () => {
    expect(durationText(90)).toBe('90s');
    expect(durationText(1.5)).toBe('1500ms');
  });
});
