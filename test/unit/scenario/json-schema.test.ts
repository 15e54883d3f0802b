import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { renderScenarioJsonSchema, scenarioJsonSchema } from '../../../scripts/scenario/json-schema.ts';

describe('scenario JSON Schema', () => {
  it('the committed scenarios/scenario.schema.json matches the loader schema (regenerate: npx tsx scripts/scenario/json-schema.ts --write)', () => {
    expect(readFileSync(join(PROJECT_ROOT, 'scenarios/scenario.schema.json'), 'utf8')).toBe(renderScenarioJsonSchema());
  });

  it('offers every fault type and expectation kind to editors', () => {
    const text = JSON.stringify(scenarioJsonSchema());
    for (const t of ['latency', 'errors', 'crash', 'crash-loop', 'bad-model', 'memory-leak', 'cpu-burn', 'dependency-outage']) expect(text).toContain(`"const":"${t}"`);
    for (const k of ['alert', 'notification', 'remediation', 'resolved', 'noOtherAlerts']) expect(text).toContain(`"${k}":`);
  });
});
