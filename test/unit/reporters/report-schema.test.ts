import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonReporter } from '../../../scripts/reporters/json.ts';
import { REPORT_SCHEMA_FILE, REPORT_SCHEMA_ID } from '../../../scripts/reporters/report-schema.ts';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';
import type { ScenarioResult, SuiteReport } from '../../../scripts/scenario/result.ts';
import { erroredCrash, failedCrash, nastyName, passedCrash, skipped, suite } from './fixtures.ts';

/** docs/report.schema.json, read as a consumer's validator reads it. */
const schemaJson = JSON.parse(readFileSync(join(PROJECT_ROOT, REPORT_SCHEMA_FILE), 'utf8')) as Record<string, any>;
const validator = z.fromJSONSchema(schemaJson);
const problems = (doc: unknown) => (validator.safeParse(doc).error?.issues ?? []).map((i) => i.path.join('.'));

/** A crash scenario run 5 times with `repeat:`, as aggregateRuns reports it. */
function repeated(): ScenarioResult {
  const stat = (v: number) => ({ p50: v, p95: v * 1.2, max: v * 1.3, samples: 5 });
  return {
    ...passedCrash('service-crash-repeated'),
    repeat: { runs: 5, percentile: 80, passedRuns: 4, outcomes: ['passed', 'passed', 'failed', 'passed', 'passed'], stats: { mttdSeconds: stat(3.1), timeToNotifySeconds: stat(4.2), timeToRemediateSeconds: { p50: null, p95: null, max: null, samples: 0 }, mttrSeconds: stat(12.6) } },
  };
}

/** report.json exactly as the JSON reporter writes it into a report dir. */
async function written(report: SuiteReport): Promise<any> {
  const dir = mkdtempSync(join(tmpdir(), 'report-schema-'));
  await new JsonReporter(dir).onSuiteEnd(report);
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
}

const every = () => suite([passedCrash(), failedCrash(), erroredCrash(), skipped(), repeated(), passedCrash(nastyName)]);

/** The keys docs/contracts.md names, by path into a report (`*`: the first element). */
const CONTRACT = [
  '$schema',
  'schemaVersion',
  'passed',
  'runtime',
  'scenarios',
  'scenarios.*.name',
  'scenarios.*.outcome',
  ...['mttdSeconds', 'timeToNotifySeconds', 'mttrSeconds', 'detectionFloorSeconds', 'detectionCeilingSeconds'].map((k) => `scenarios.*.metrics.${k}`),
  ...['kind', 'name', 'passed', 'observedSeconds', 'withinSeconds', 'message'].map((k) => `scenarios.*.expectations.*.${k}`),
  ...['t', 'at', 'kind', 'detail'].map((k) => `scenarios.*.timeline.*.${k}`),
];

function remove(doc: any, path: string): void {
  const keys = path.split('.').map((k) => (k === '*' ? 0 : k));
  const last = keys.pop()!;
  let at = doc;
  for (const k of keys) at = at[k];
  expect(at, path).toHaveProperty(String(last));
  delete at[last];
}

describe('report.json against docs/report.schema.json', () => {
  it('names its schema and version', async () => {
    const doc = await written(every());
    expect(Object.keys(doc).slice(0, 2)).toEqual(['$schema', 'schemaVersion']);
    expect(doc.$schema).toBe(REPORT_SCHEMA_ID);
    expect(schemaJson.$id).toBe(REPORT_SCHEMA_ID);
    expect(doc.schemaVersion).toBe(1);
  });

  it('every report the reporter writes validates: passed, failed, errored, skipped, repeated, odd names, none at all', async () => {
    expect(problems(await written(every()))).toEqual([]);
    expect(problems(await written(suite([])))).toEqual([]);
  });

  it.each(CONTRACT)('a report without %s is invalid', async (path) => {
    const doc = await written(every());
    remove(doc, path);
    expect(problems(doc)).toContain(path.replace(/\*/g, '0'));
  });

  it('a wrong type or value is invalid: a time as text, an unknown outcome, another version', async () => {
    const doc = await written(every());
    doc.scenarios[0].metrics.mttdSeconds = '3.1s';
    doc.scenarios[1].outcome = 'flaky';
    doc.scenarios[0].timeline[0].at = 'yesterday';
    doc.schemaVersion = 2;
    expect([...new Set(problems(doc))].sort()).toEqual(['schemaVersion', 'scenarios.0.metrics.mttdSeconds', 'scenarios.0.timeline.0.at', 'scenarios.1.outcome'].sort());
  });

  it('describes every key the reporter writes (timeline events add the fields of their kind)', async () => {
    const undocumented: string[] = [];
    const walk = (value: unknown, schema: Record<string, any> | undefined, path: string) => {
      if (!schema || value === null || typeof value !== 'object') return;
      const branch = schema.anyOf?.find((s: any) => s.type === 'object' || s.type === 'array') ?? schema;
      if (Array.isArray(value)) {
        value.forEach((v, i) => walk(v, branch.items, `${path}.${i}`));
        return;
      }
      if (path.endsWith('.timeline') || /\.timeline\.\d+$/.test(path)) return;
      for (const [k, v] of Object.entries(value)) {
        const sub = branch.properties?.[k];
        if (!sub) undocumented.push(`${path}.${k}`.slice(1));
        walk(v, sub, `${path}.${k}`);
      }
    };
    walk(await written(every()), schemaJson, '');
    expect(undocumented).toEqual([]);
  });
});

describe('docs/contracts.md', () => {
  it('its report.json example is a valid report', () => {
    const text = readFileSync(join(PROJECT_ROOT, 'docs/contracts.md'), 'utf8');
    const example = /## Reports[\s\S]*?```json\n([\s\S]*?)```/.exec(text)?.[1];
    expect(example, 'a ```json block under "## Reports"').toBeDefined();
    expect(problems(JSON.parse(example!))).toEqual([]);
  });
});
