import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAYBOOKS_SCHEMA_FILE, playbooksJsonSchema } from './alerting/remediation/json-schema.ts';
import { SLOS_SCHEMA_FILE, slosJsonSchema } from './alerting/slo/json-schema.ts';
import { REPORT_SCHEMA_FILE, reportJsonSchema } from './reporters/report-schema.ts';
import { PROJECT_ROOT } from './runtime/paths.ts';
import { scenarioJsonSchema } from './scenario/json-schema.ts';

/**
 * Every JSON Schema the repository publishes, each generated from the zod schema the code
 * validates with (or, for report.json, describes what it writes). The YAML files name theirs in a
 * `# yaml-language-server: $schema=` modeline, report.json in its `$schema` key. A unit test
 * keeps the committed files in sync; regenerate them all with
 * `npx tsx scripts/json-schemas.ts --write`.
 */
export const generatedJsonSchemas: readonly { file: string; schema: () => Record<string, unknown> }[] = [
  { file: 'scenarios/scenario.schema.json', schema: scenarioJsonSchema },
  { file: PLAYBOOKS_SCHEMA_FILE, schema: playbooksJsonSchema },
  { file: SLOS_SCHEMA_FILE, schema: slosJsonSchema },
  { file: REPORT_SCHEMA_FILE, schema: reportJsonSchema },
];

export function renderJsonSchema(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv.includes('--write')) {
  for (const { file, schema } of generatedJsonSchemas) writeFileSync(join(PROJECT_ROOT, file), renderJsonSchema(schema()));
}
