import { z } from 'zod';
import { SENSORS, type Sensor } from './engines.ts';

const reading = z.number({ error: (i) => (i.input === undefined ? 'missing sensor reading' : 'expected a finite number') });

/** POST /predict, validated identically at the gateway and at ml-service. */
export const predictRequestSchema = z.object({
  engineId: z.string({ error: 'expected an engine id such as "engine-7"' }).min(1).max(64),
  cycle: z.number({ error: 'expected the flight cycle number' }).int().min(0),
  sensors: z.object(Object.fromEntries(SENSORS.map((s) => [s, reading])) as Record<Sensor, typeof reading>, {
    error: `expected an object of sensor readings (${SENSORS.join(', ')})`,
  }),
  trueRul: z.number({ error: 'expected the true remaining useful life in cycles' }).min(0).optional(),
}, { error: 'body: expected a JSON object with engineId, cycle and sensors' });
