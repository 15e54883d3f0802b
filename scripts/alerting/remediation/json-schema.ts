import { z } from 'zod';
import { ACTION_NAMES, actionSchemas, actionSpec, playbookFileSchema } from './playbook-schema.ts';

export const PLAYBOOKS_SCHEMA_FILE = 'compose/remediation/playbooks.schema.json';

/**
 * The playbook file's format as JSON Schema (compose/remediation/playbooks.schema.json), so
 * editors complete and check playbooks.yml. Generated from the schema the controller validates
 * with; the one difference is that editors see each action's own options, where the controller
 * first checks the action's name (so an unknown one gets its own message) and then its options.
 * A test keeps the committed file in sync (`npx tsx scripts/json-schemas.ts --write`).
 */
export function playbooksJsonSchema(): Record<string, unknown> {
  const actions = ACTION_NAMES.map((name) => withoutDialect(z.toJSONSchema(actionSchemas[name], { target: 'draft-2020-12', io: 'input' })));
  return {
    $id: 'https://observability-sandbox.local/playbooks.schema.json',
    title: 'Observability sandbox remediation playbooks (playbooks.yml)',
    ...z.toJSONSchema(playbookFileSchema, {
      target: 'draft-2020-12',
      io: 'input',
      override: (ctx) => {
        if (ctx.zodSchema !== actionSpec) return;
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
        Object.assign(ctx.jsonSchema, { anyOf: actions });
      },
    }),
  };
}

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = schema;
  return rest;
}
