import { makePredictRequest } from '../../sample-services/shared/payloads.ts';
import { seededRng } from '../../sample-services/shared/random.ts';

/**
 * Request bodies for the load mix. The sample services own the payload format: sensor readings
 * of a fleet engine with its true remaining life, so the ml-service can measure prediction error.
 * Seeded, so a scenario's load is the same on every run.
 */
export function predictBodies(seed = 1): () => unknown {
  const rng = seededRng(seed);
  return () => makePredictRequest(rng);
}
