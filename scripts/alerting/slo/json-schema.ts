import { z } from 'zod';
import { specSchema } from './spec.ts';

export const SLOS_SCHEMA_FILE = 'compose/prometheus/slo/slos.schema.json';

/**
 * The SLO spec's format as JSON Schema (compose/prometheus/slo/slos.schema.json), so editors
 * complete and check slos.yml. Generated from the schema generate.ts validates with; a test keeps
 * the committed file in sync (`npx tsx scripts/json-schemas.ts --write`).
 */
export function slosJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://observability-sandbox.local/slos.schema.json',
    title: 'Observability sandbox service level objectives (slos.yml)',
    ...z.toJSONSchema(specSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}
