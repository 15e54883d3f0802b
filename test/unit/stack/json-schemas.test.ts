import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { generatedJsonSchemas, renderJsonSchema } from '../../../scripts/json-schemas.ts';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';

const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), 'utf8');
/** The committed JSON Schema file as a validator, the way an editor or CI check reads it. */
const validatorOf = (file: string) => z.fromJSONSchema(JSON.parse(read(file)));
const problems = (file: string, doc: unknown) => (validatorOf(file).safeParse(doc).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('published JSON Schemas', () => {
  it.each(generatedJsonSchemas.map((g) => [g.file, g]))('%s matches the zod schema it is generated from (regenerate: npx tsx scripts/json-schemas.ts --write)', (_f, g) => {
    expect(read(g.file)).toBe(renderJsonSchema(g.schema()));
  });

  // Editors with the YAML language server (VS Code's YAML extension, and others) read the
  // modeline on the first line: the same wiring the scenario files have.
  it.each([
    ['compose/remediation/playbooks.yml', './playbooks.schema.json'],
    ['compose/prometheus/slo/slos.yml', './slos.schema.json'],
    ...readdirSync(join(PROJECT_ROOT, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [`scenarios/${f}`, './scenario.schema.json']),
  ])('%s names its schema on its first line', (file, schema) => {
    expect(read(file).split('\n')[0]).toBe(`# yaml-language-server: $schema=${schema}`);
  });
});

describe('playbooks.schema.json', () => {
  const FILE = 'compose/remediation/playbooks.schema.json';
  const playbooks = () => parse(read('compose/remediation/playbooks.yml'));

  it('accepts the committed playbooks.yml', () => {
    expect(problems(FILE, playbooks())).toEqual([]);
  });

  it('checks each action’s own options and every duration, as the controller does', () => {
    const doc = playbooks();
    doc.defaults.cooldown = '30 seconds';
    doc.playbooks[0].actions[0] = { action: 'restart', replicas: 2 };
    doc.playbooks[1].actions.push({ action: 'circuit-breaker', state: 'half-open' });
    doc.playbooks[1].maxAttempts = 0;
    expect(problems(FILE, doc)).toEqual([
      expect.stringMatching(/^defaults\.cooldown: .*pattern/),
      expect.stringMatching(/^playbooks\.0\.actions\.0: /),
      expect.stringMatching(/^playbooks\.1\.actions\.\d+: /),
      expect.stringMatching(/^playbooks\.1\.maxAttempts: /),
    ]);
  });
});

describe('slos.schema.json', () => {
  const FILE = 'compose/prometheus/slo/slos.schema.json';
  const slos = () => parse(read('compose/prometheus/slo/slos.yml'));

  it('accepts the committed slos.yml', () => {
    expect(problems(FILE, slos())).toEqual([]);
  });

  it('rejects what the generator rejects: a bad window, a missing objective, an unknown key', () => {
    const doc = slos();
    doc.burnRateAlerts[0].long = 'an hour';
    delete doc.slos[0].objective;
    doc.slos[0].owner = 'team';
    expect(problems(FILE, doc)).toEqual([
      expect.stringMatching(/^burnRateAlerts\.0\.long: .*pattern/),
      expect.stringMatching(/^slos\.0(\.objective)?: /),
      expect.stringMatching(/^slos\.0(\.owner)?: /),
    ]);
  });
});
