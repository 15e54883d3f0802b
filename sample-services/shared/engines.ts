import { gaussian, seededRng, type Rng } from './random.ts';

/**
 * A turbofan fleet in the style of NASA's C-MAPSS data: each engine starts with its own
 * manufacturing offsets and degrades along an exponential wear curve until it fails after
 * `lifeCycles` flight cycles. Sensors drift with wear, plus measurement noise.
 */
export const SENSORS = ['t24', 't30', 't50', 'p30', 'nf', 'nc', 'ps30', 'phi'] as const;
export type Sensor = (typeof SENSORS)[number];
export type SensorReadings = Record<Sensor, number>;

/** Healthy baseline, full-wear drift and noise per sensor (units as in C-MAPSS: °R, psia, rpm). */
const SENSOR_MODEL: Record<Sensor, { base: number; drift: number; noise: number }> = {
  t24: { base: 642.2, drift: 1.6, noise: 0.5 },
  t30: { base: 1589.0, drift: 12.0, noise: 3.5 },
  t50: { base: 1400.0, drift: 22.0, noise: 5.0 },
  p30: { base: 554.0, drift: -4.5, noise: 0.9 },
  nf: { base: 2388.0, drift: 0.35, noise: 0.07 },
  nc: { base: 9050.0, drift: 30.0, noise: 8.0 },
  ps30: { base: 47.3, drift: 1.4, noise: 0.27 },
  phi: { base: 521.8, drift: -4.0, noise: 0.75 },
};

export interface EngineProfile {
  id: string;
  lifeCycles: number;
  /** Manufacturing offsets, in units of each sensor's noise. */
  offsets: readonly number[];
  /** Wear-curve steepness: higher means healthier for longer, then a faster decline. */
  wearExponent: number;
}

export function makeEngine(id: string, rng: Rng): EngineProfile {
  return {
    id,
    lifeCycles: 140 + Math.floor(rng() * 200),
    offsets: SENSORS.map(() => gaussian(rng) * 0.8),
    wearExponent: 2.5 + rng() * 1.5,
  };
}

/** Wear in [0, 1]: 0 new, 1 at failure. */
function wear(engine: EngineProfile, cycle: number): number {
  const k = engine.wearExponent;
  return (Math.exp((k * cycle) / engine.lifeCycles) - 1) / (Math.exp(k) - 1);
}

export function readSensors(engine: EngineProfile, cycle: number, rng: Rng): SensorReadings {
  const w = wear(engine, cycle);
  const out = {} as SensorReadings;
  SENSORS.forEach((s, i) => {
    const m = SENSOR_MODEL[s];
    out[s] = round(m.base + m.drift * w + m.noise * (engine.offsets[i]! + gaussian(rng)));
  });
  return out;
}

export function remainingLife(engine: EngineProfile, cycle: number): number {
  return engine.lifeCycles - cycle;
}

/** The fleet the api-gateway serves: engine-1 … engine-20, the same on every run. */
export const FLEET: readonly EngineProfile[] = (() => {
  const rng = seededRng(20_260_101);
  return Array.from({ length: 20 }, (_, i) => makeEngine(`engine-${i + 1}`, rng));
})();

export function fleetEngine(id: string): EngineProfile | undefined {
  return FLEET.find((e) => e.id === id);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
