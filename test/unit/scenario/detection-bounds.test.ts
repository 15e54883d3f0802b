import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNameMatcher, type Scenario } from '../../../scripts/scenario/model.ts';
import { checkDetectionBudget, detectionBounds, readDetectionConfig } from '../../../scripts/scenario/detection-bounds.ts';

function configDir(scrape: string, evaluation: string, rules: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bounds-'));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${scrape}\n  evaluation_interval: ${evaluation}\n`);
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'a.yml'), rules);
  return dir;
}

const rules = `groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2500ms
      - alert: Instant
        expr: up == 0
`;

const scenarioWith = (within: number | null): Scenario => ({
  name: 's',
  file: 's.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: 30, mttrSeconds: null },
  load: { rate: 0, durationSeconds: 10, requests: [] },
  faults: [],
  expectations: [{ kind: 'alert', alert: parseNameMatcher('Down'), labels: {}, withinSeconds: within }],
  repeat: { runs: 1, percentile: 100 },
});

describe('detection bounds', () => {
  const config = readDetectionConfig(configDir('1s', '2s', rules));

  it('floor is `for` rounded up to the evaluation interval; ceiling adds a scrape and an evaluation', () => {
    expect(detectionBounds(config, parseNameMatcher('Down'))).toEqual({ floor: 4, ceiling: 5.5 });
    expect(detectionBounds(config, parseNameMatcher('Instant'))).toEqual({ floor: 0, ceiling: 3 });
    expect(detectionBounds(config, parseNameMatcher('Nope'))).toBeNull();
  });

  it('rejects a target below the floor as impossible, warns below the ceiling', () => {
    expect(() => checkDetectionBudget(scenarioWith(3), config)).toThrow(/impossible expectations/);
    expect(checkDetectionBudget(scenarioWith(5), config).warnings).toEqual([expect.stringMatching(/below the detection ceiling 5.5s/)]);
    expect(checkDetectionBudget(scenarioWith(6), config).warnings).toEqual([]);
  });

  it('rejects an alert no rule defines, naming the known ones', () => {
    const s = scenarioWith(10);
    s.expectations = [{ kind: 'alert', alert: parseNameMatcher('Typo'), labels: {}, withinSeconds: 10 }];
    try {
      checkDetectionBudget(s, config);
      throw new Error('expected rejection');
    } catch (e) {
      expect((e as { details: string[] }).details[0]).toBe('alert Typo is not defined by any loaded rule file (known: Down, Instant)');
    }
  });
});
