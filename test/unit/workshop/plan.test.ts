import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIO_DIR, scenarioFilesIn } from '../../../scripts/scenario/discover.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import { intensify, isCorrectDiagnosis, pickIncident, QUIET_PERIOD_RANGE, workshopPool, type Difficulty } from '../../../scripts/workshop/plan.ts';
import { parseSeed, seededRandom } from '../../../scripts/workshop/rng.ts';

const catalog = scenarioFilesIn(BUILTIN_SCENARIO_DIR).map((f) => loadScenario(f));
const byName = (n: string) => catalog.find((s) => s.name === n)!;

describe('seeded PRNG', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(seededRandom(43)()).not.toBe(xs[0]);
    for (const x of xs) expect(x).toBeGreaterThanOrEqual(0), expect(x).toBeLessThan(1);
  });

  it('parses seeds and rejects bad ones with INVALID_ARGUMENT', () => {
    expect(parseSeed('7')).toBe(7);
    expect(parseSeed(undefined)).toEqual(expect.any(Number));
    for (const bad of ['-1', '1.5', 'abc', String(2 ** 32)]) expect(() => parseSeed(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('incident picker', () => {
  it('offers only scenarios that inject a fault (never baseline)', () => {
    const pool = workshopPool(catalog).map((s) => s.name);
    expect(pool).not.toContain('baseline');
    expect(pool.length).toBe(catalog.filter((s) => s.faults.length > 0).length);
    const drawn = new Set(Array.from({ length: 200 }, (_, seed) => pickIncident({ seed, difficulty: 'normal', catalog }).scenario));
    expect(drawn.has('baseline')).toBe(false);
    // Every scenario of the pool comes up for some seed.
    expect([...drawn].sort()).toEqual([...pool].sort());
  });

  it('the same seed gives the same scenario, quiet period and fault parameters', () => {
    for (const difficulty of ['easy', 'normal', 'hard'] as Difficulty[]) {
      for (const seed of [0, 1, 42, 123456, 2 ** 32 - 1]) {
        const a = pickIncident({ seed, difficulty, catalog });
        const b = pickIncident({ seed, difficulty, catalog: [...catalog].reverse() });
        expect(b).toEqual(a);
      }
    }
  });

  it('different seeds give different incidents', () => {
    const plans = Array.from({ length: 30 }, (_, seed) => JSON.stringify(pickIncident({ seed, difficulty: 'normal', catalog })));
    expect(new Set(plans).size).toBeGreaterThan(10);
  });

  it('draws the quiet period within the difficulty range and schedules faults after it', () => {
    for (const difficulty of ['easy', 'normal', 'hard'] as Difficulty[]) {
      const [lo, hi] = QUIET_PERIOD_RANGE[difficulty];
      for (let seed = 0; seed < 50; seed++) {
        const p = pickIncident({ seed, difficulty, catalog });
        expect(p.quietPeriodSeconds).toBeGreaterThanOrEqual(lo);
        expect(p.quietPeriodSeconds).toBeLessThanOrEqual(hi);
        expect(Math.min(...p.faults.map((f) => f.atSeconds))).toBe(p.quietPeriodSeconds);
      }
    }
    expect(QUIET_PERIOD_RANGE.easy[1]).toBeLessThan(QUIET_PERIOD_RANGE.normal[1]);
  });

  it('a chosen scenario keeps the seed’s quiet period; an override replaces it', () => {
    const random = pickIncident({ seed: 9, difficulty: 'normal', catalog });
    const chosen = pickIncident({ seed: 9, difficulty: 'normal', catalog, scenario: byName('service-crash') });
    expect(chosen.scenario).toBe('service-crash');
    expect(chosen.quietPeriodSeconds).toBe(random.quietPeriodSeconds);
    const fast = pickIncident({ seed: 9, difficulty: 'normal', catalog, scenario: byName('service-crash'), quietPeriodSeconds: 3 });
    expect(fast.quietPeriodSeconds).toBe(3);
    expect(fast.faults).toEqual([{ type: 'crash', service: 'ml-service', atSeconds: 3, durationSeconds: null, params: {} }]);
    expect(fast.primaryAlert).toBe('ServiceDown');
    expect(fast.expectedAlerts).toEqual([{ alert: 'ServiceDown', labels: { service: 'ml-service' } }]);
  });

  it('refuses a scenario without faults', () => {
    expect(() => pickIncident({ seed: 1, difficulty: 'normal', catalog, scenario: byName('baseline') })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/injects no fault/) }),
    );
  });

  it('hard keeps the scenario’s parameters; easy only makes faults stronger', () => {
    for (let seed = 0; seed < 40; seed++) {
      const hard = pickIncident({ seed, difficulty: 'hard', catalog });
      const source = byName(hard.scenario);
      expect(hard.faults.map((f) => f.params)).toEqual(source.faults.map((f) => f.params));
    }
    expect(intensify('latency', { delay: '800ms' }, 1.25)).toEqual({ delay: '1000ms' });
    expect(intensify('errors', { ratio: 0.5, status: 500 }, 1.5)).toEqual({ ratio: 0.75, status: 500 });
    expect(intensify('errors', { ratio: 0.8 }, 1.5)).toEqual({ ratio: 0.95 });
    expect(intensify('cpu-burn', { ratio: 0.95 }, 1.2)).toEqual({ ratio: 1 });
    expect(intensify('memory-leak', { rate: '20MB/s' }, 1.25)).toEqual({ rate: '25MB/s' });
    expect(intensify('bad-model', { version: 'v3' }, 1.5)).toEqual({ version: 'v3' });
    expect(intensify('latency', { delay: '800ms' }, 1)).toEqual({ delay: '800ms' });
  });

  it('judges a diagnosis by service and fault type', () => {
    const p = pickIncident({ seed: 1, difficulty: 'normal', catalog, scenario: byName('service-crash') });
    expect(isCorrectDiagnosis(p, 'ml-service', 'crash')).toBe(true);
    expect(isCorrectDiagnosis(p, 'ml-service', 'latency')).toBe(false);
    expect(isCorrectDiagnosis(p, 'api-gateway', 'crash')).toBe(false);
  });
});
