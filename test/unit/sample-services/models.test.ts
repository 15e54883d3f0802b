import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predict, type ModelArtifact } from '../../../sample-services/ml-service/model.ts';
import { DATA_FILE, generateData } from '../../../sample-services/ml-service/models/generate-data.ts';
import { trainModels } from '../../../sample-services/ml-service/models/train.ts';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { seededRng } from '../../../sample-services/shared/random.ts';

const MODELS = join(import.meta.dirname, '../../../sample-services/ml-service/models');
const shipped = (v: string) => JSON.parse(readFileSync(join(MODELS, `${v}.json`), 'utf8')) as ModelArtifact;

/** The committed data and models are what the scripts produce, and behave as the fault catalog needs. */
describe('shipped models', () => {
  it('the committed data is what generate-data.ts writes, and small', () => {
    const committed = readFileSync(DATA_FILE, 'utf8');
    expect(generateData()).toBe(committed);
    expect(committed.length).toBeLessThan(500_000);
  });

  it('the committed model files are what train.ts produces', () => {
    for (const m of trainModels()) expect(shipped(m.version)).toEqual(m);
  });

  it('v1 and v2 pass validation; v3 is badly wrong; v4 emits NaN', () => {
    const mae = (v: string) => {
      const model = shipped(v);
      const rng = seededRng(1);
      let sum = 0;
      for (let i = 0; i < 300; i++) {
        const req = makePredictRequest(rng);
        sum += Math.abs(predict(model, req.sensors, rng).rul - req.trueRul!);
      }
      return sum / 300;
    };
    expect(shipped('v1').validation.passed).toBe(true);
    expect(shipped('v2').validation.passed).toBe(true);
    expect(mae('v2')).toBeLessThan(55);
    expect(mae('v1')).toBeLessThan(60);
    expect(mae('v3')).toBeGreaterThan(2 * mae('v2'));
    expect(shipped('v3').validation.passed).toBe(false);
    expect(Number.isNaN(mae('v4'))).toBe(true);
  });

  it('a prediction carries an interval around it', () => {
    const req = makePredictRequest(3);
    const p = predict(shipped('v2'), req.sensors, seededRng(3));
    expect(p.interval[0]).toBeLessThanOrEqual(p.rul + 1e-9);
    expect(p.interval[1]).toBeGreaterThanOrEqual(p.rul - 1e-9);
  });
});

describe('makePredictRequest', () => {
  it('is reproducible from a seed and realistic', () => {
    expect(makePredictRequest(7)).toEqual(makePredictRequest(7));
    expect(makePredictRequest(7)).not.toEqual(makePredictRequest(8));
    const rng = seededRng(5);
    for (let i = 0; i < 100; i++) {
      const r = makePredictRequest(rng);
      expect(r.engineId).toMatch(/^engine-([1-9]|1\d|20)$/);
      expect(r.trueRul).toBeGreaterThan(0);
      expect(r.sensors.t50).toBeGreaterThan(1350);
      expect(r.sensors.t50).toBeLessThan(1450);
    }
  });
});
