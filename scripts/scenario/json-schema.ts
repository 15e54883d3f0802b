import { z } from 'zod';
import { faultParamSchemas, FAULT_TYPES } from '../faults/catalog.ts';
import { expectationSchemas, scenarioSchema } from './schema.ts';

/**
 * The scenario format as JSON Schema (scenarios/scenario.schema.json), so editors complete and
 * check scenario files. Generated from the same zod schemas the loader validates with; a test
 * keeps the committed file in sync (`npx tsx scripts/scenario/json-schema.ts --write`).
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const fault = z.union(
    FAULT_TYPES.map((type) =>
      z.strictObject({
        type: z.literal(type),
        service: z.string().describe('a sample service: api-gateway or ml-service'),
        at: z.string().describe('when the fault starts, after the scenario starts (e.g. 15s)'),
        duration: z.string().optional().describe('omit: until the end or until remediation clears it'),
        params: faultParamSchemas[type].optional(),
      }),
    ) as unknown as [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]],
  );
  const editorSchema = scenarioSchema.extend({
    faults: z.array(fault).optional(),
    expect: z.array(z.union(Object.values(expectationSchemas) as unknown as [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]])).min(1),
  });
  return {
    $id: 'https://observability-sandbox.local/scenario.schema.json',
    title: 'Observability sandbox scenario',
    ...z.toJSONSchema(editorSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}

export function renderScenarioJsonSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv.includes('--write')) {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PROJECT_ROOT } = await import('../core/paths.ts');
  writeFileSync(join(PROJECT_ROOT, 'scenarios/scenario.schema.json'), renderScenarioJsonSchema());
}
