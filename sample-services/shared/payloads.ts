import { FLEET, readSensors, remainingLife, type SensorReadings } from './engines.ts';
import { seededRng, type Rng } from './random.ts';

/** The body of `POST /predict` on the api-gateway (and, forwarded, on ml-service). */
export interface PredictRequest {
  engineId: string;
  cycle: number;
  sensors: SensorReadings;
  /** Known true remaining useful life; when present the service records its prediction error. */
  trueRul?: number;
}

/**
 * A realistic request from the fleet with its true RUL, for the load driver and tests:
 * a random engine at a random point of its life. Pass a seed for a reproducible stream.
 */
export function makePredictRequest(seedOrRng: number | Rng = Math.random): PredictRequest {
  const rng = typeof seedOrRng === 'number' ? seededRng(seedOrRng) : seedOrRng;
  const engine = FLEET[Math.floor(rng() * FLEET.length)]!;
  const cycle = 1 + Math.floor(rng() * (engine.lifeCycles - 1));
  return { engineId: engine.id, cycle, sensors: readSensors(engine, cycle, rng), trueRul: remainingLife(engine, cycle) };
}
