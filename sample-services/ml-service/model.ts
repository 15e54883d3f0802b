import type { Sensor, SensorReadings } from '../shared/engines.ts';
import { gaussian, type Rng } from '../shared/random.ts';

/** A trained model version as the registry stores it (JSON). */
export interface ModelArtifact {
  version: string;
  description: string;
  algorithm: 'ridge';
  sensors: Sensor[];
  /** Polynomial degree of the feature expansion of the standardized sensors. */
  degree: 1 | 2;
  /** Applied to standardized sensors before the expansion. */
  transform: 'none' | 'log';
  scaler: { mean: number[]; std: number[] };
  weights: number[];
  intercept: number;
  /** Test-time augmentation: the prediction interval comes from this many noisy copies of the input. */
  augmentation: { samples: number; noise: number[] };
  /** Offline validation on held-out engines; rollback goes to the last version that passed. */
  validation: { mae: number | null; passed: boolean; engines: number };
}

export interface Prediction {
  /** Remaining useful life in cycles; NaN when the model produced no usable number. */
  rul: number;
  /** 10th–90th percentile of the augmented predictions. */
  interval: [number, number];
}

/** Standardize, transform, expand: the model's view of one set of readings. */
export function featurize(model: ModelArtifact, raw: readonly number[], out: number[] = []): number[] {
  const z = raw.map((x, i) => {
    const s = (x - model.scaler.mean[i]!) / model.scaler.std[i]!;
    return model.transform === 'log' ? Math.log(s) : s;
  });
  out.length = 0;
  out.push(...z);
  if (model.degree === 2) {
    for (let i = 0; i < z.length; i++) for (let j = i; j < z.length; j++) out.push(z[i]! * z[j]!);
  }
  return out;
}

export function evaluate(model: ModelArtifact, features: readonly number[]): number {
  let y = model.intercept;
  for (let i = 0; i < features.length; i++) y += model.weights[i]! * features[i]!;
  return y;
}

/**
 * The point prediction plus an uncertainty interval from evaluating the model on noisy copies of
 * the input (sensor noise as measured in training). This is the service's real per-request work.
 */
export function predict(model: ModelArtifact, readings: SensorReadings, rng: Rng): Prediction {
  const raw = model.sensors.map((s) => readings[s]);
  const buffer: number[] = [];
  const rul = Math.max(0, evaluate(model, featurize(model, raw, buffer)));
  const n = model.augmentation.samples;
  const samples = new Float64Array(n);
  const noisy = raw.slice();
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < raw.length; i++) noisy[i] = raw[i]! + model.augmentation.noise[i]! * gaussian(rng);
    samples[k] = evaluate(model, featurize(model, noisy, buffer));
  }
  samples.sort();
  const at = (q: number) => Math.max(0, samples[Math.min(n - 1, Math.floor(q * n))]!);
  return { rul, interval: [at(0.1), at(0.9)] };
}
