/**
 * Writes the synthetic run-to-failure data the models are trained on (models/data/engines.csv):
 * 80 engines from a fixed seed, distinct from the served fleet, one row every 4th cycle.
 * Deterministic: rerunning it reproduces the committed file byte for byte.
 *   node --import tsx sample-services/ml-service/models/generate-data.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeEngine, readSensors, remainingLife, SENSORS } from '../../shared/engines.ts';
import { seededRng } from '../../shared/random.ts';

export const DATA_FILE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'engines.csv');
const ENGINES = 80;
const EVERY = 4;

export function generateData(): string {
  const rng = seededRng(7);
  const rows = [['engine', 'cycle', ...SENSORS, 'rul'].join(',')];
  for (let e = 0; e < ENGINES; e++) {
    const engine = makeEngine(`train-${e + 1}`, rng);
    for (let cycle = 1; cycle <= engine.lifeCycles; cycle += EVERY) {
      const r = readSensors(engine, cycle, rng);
      rows.push([e + 1, cycle, ...SENSORS.map((s) => r[s]), remainingLife(engine, cycle)].join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(DATA_FILE), { recursive: true });
  writeFileSync(DATA_FILE, generateData());
  console.log(`wrote ${DATA_FILE}`);
}
