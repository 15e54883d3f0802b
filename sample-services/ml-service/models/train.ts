/**
 * Trains the shipped model versions from models/data/engines.csv and writes models/<version>.json.
 *   node --import tsx sample-services/ml-service/models/train.ts
 * v1 and v2 are sound; v3 and v4 reproduce real ML bugs, for the bad-model fault:
 *   v3 was trained on elapsed cycles instead of remaining life (a label bug): badly wrong RUL;
 *   v4 takes the log of standardized readings (a preprocessing bug): NaN for most inputs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SENSORS } from '../../shared/engines.ts';
import { evaluate, featurize, type ModelArtifact } from '../model.ts';
import { DATA_FILE } from './generate-data.ts';
import { fitRidge } from './ridge.ts';

const MODELS_DIR = dirname(fileURLToPath(import.meta.url));
/** Engines 1–60 train, 61–80 validate. */
const VALIDATION_FROM = 61;
/** A version passes validation when its mean absolute error on held-out engines is below this. */
const MAX_VALIDATION_MAE = 45;
/** Noisy copies per request; sized so one prediction costs about a millisecond. */
const AUGMENTATION_SAMPLES = 1300;

interface Row {
  engine: number;
  cycle: number;
  sensors: number[];
  rul: number;
}

function load(): Row[] {
  const [, ...lines] = readFileSync(DATA_FILE, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const v = line.split(',').map(Number);
    return { engine: v[0]!, cycle: v[1]!, sensors: v.slice(2, 2 + SENSORS.length), rul: v[2 + SENSORS.length]! };
  });
}

function column(rows: Row[], i: number): number[] {
  return rows.map((r) => r.sensors[i]!);
}

function train(options: {
  version: string;
  description: string;
  rows: Row[];
  validation: Row[];
  degree: 1 | 2;
  lambda: number;
  target: (r: Row) => number;
  transform?: 'none' | 'log';
}): ModelArtifact {
  const mean = SENSORS.map((_, i) => avg(column(options.rows, i)));
  const std = SENSORS.map((_, i) => Math.sqrt(avg(column(options.rows, i).map((x) => (x - mean[i]!) ** 2))));
  const base: ModelArtifact = {
    version: options.version,
    description: options.description,
    algorithm: 'ridge',
    sensors: [...SENSORS],
    degree: options.degree,
    transform: 'none',
    scaler: { mean: mean.map(r6), std: std.map(r6) },
    weights: [],
    intercept: 0,
    augmentation: { samples: AUGMENTATION_SAMPLES, noise: noiseLevels(options.rows) },
    validation: { mae: null, passed: false, engines: 0 },
  };
  const fit = fitRidge(
    options.rows.map((r) => featurize(base, r.sensors)),
    options.rows.map(options.target),
    options.lambda,
  );
  const model: ModelArtifact = { ...base, weights: fit.weights.map(r6), intercept: r6(fit.intercept), transform: options.transform ?? 'none' };
  const errors = options.validation.map((r) => Math.abs(Math.max(0, evaluate(model, featurize(model, r.sensors))) - r.rul));
  const mae = avg(errors);
  model.validation = {
    mae: Number.isFinite(mae) ? Math.round(mae * 10) / 10 : null,
    passed: Number.isFinite(mae) && mae < MAX_VALIDATION_MAE,
    engines: new Set(options.validation.map((r) => r.engine)).size,
  };
  return model;
}

/** Per-sensor measurement noise, estimated from cycle-to-cycle differences within each engine. */
function noiseLevels(rows: Row[]): number[] {
  return SENSORS.map((_, i) => {
    const diffs: number[] = [];
    for (let k = 1; k < rows.length; k++) {
      if (rows[k]!.engine === rows[k - 1]!.engine) diffs.push(rows[k]!.sensors[i]! - rows[k - 1]!.sensors[i]!);
    }
    return r6(Math.sqrt(avg(diffs.map((d) => d * d)) / 2));
  });
}

function avg(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Every shipped version, trained from the committed data. */
export function trainModels(): ModelArtifact[] {
  const rows = load();
  const trainRows = rows.filter((r) => r.engine < VALIDATION_FROM);
  const validation = rows.filter((r) => r.engine >= VALIDATION_FROM);
  // A first, smaller model: linear features, half the training engines.
  const early = trainRows.filter((r) => r.engine <= 30);
  const rul = (r: Row) => r.rul;
  return [
    train({ version: 'v1', description: 'ridge regression on standardized sensors (30 engines)', rows: early, validation, degree: 1, lambda: 1, target: rul }),
    train({ version: 'v2', description: 'ridge regression on quadratic sensor features (60 engines)', rows: trainRows, validation, degree: 2, lambda: 1, target: rul }),
    train({ version: 'v3', description: 'ridge regression on quadratic sensor features, retrained (60 engines)', rows: trainRows, validation, degree: 2, lambda: 1, target: (r) => r.cycle }),
    train({ version: 'v4', description: 'ridge regression on log-scaled quadratic sensor features (60 engines)', rows: trainRows, validation, degree: 2, lambda: 1, target: rul, transform: 'log' }),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const m of trainModels()) {
    writeFileSync(join(MODELS_DIR, `${m.version}.json`), `${JSON.stringify(m, null, 1)}\n`);
    console.log(`${m.version}: validation MAE ${m.validation.mae ?? 'NaN'} cycles, ${m.validation.passed ? 'passed' : 'failed'}`);
  }
}
