import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULT_TYPES } from '../../../scripts/faults/catalog.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { BUILTIN_SCENARIO_DIR, scenarioFilesIn } from '../../../scripts/scenario/discover.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import { matcherText } from '../../../scripts/scenario/model.ts';
import { HINT_COST, HINTS, nextHint } from '../../../scripts/workshop/hints.ts';
import { pickIncident, workshopPool } from '../../../scripts/workshop/plan.ts';

const runbooks = () => readdirSync(join(PROJECT_ROOT, 'runbooks')).map((f) => f.replace(/\.md$/, ''));
const catalog = scenarioFilesIn(BUILTIN_SCENARIO_DIR).map((f) => loadScenario(f));

describe('every catalog scenario can be used blind', () => {
  it('each scenario with faults has three graded hints for each of its fault types', () => {
    const pool = workshopPool(catalog);
    expect(pool.length).toBeGreaterThan(5);
    for (const s of pool) {
      for (const f of s.faults) {
        const h = HINTS[f.type];
        expect(h, `${s.name}: ${f.type}`).toBeDefined();
        for (const level of [1, 2, 3] as const) expect(h[level].length, `${s.name}: ${f.type} level ${level}`).toBeGreaterThan(20);
      }
    }
  });

  it('hints exist for every fault type, so trainer-written scenarios are covered too', () => {
    expect(Object.keys(HINTS).sort()).toEqual([...FAULT_TYPES].sort());
  });

  it('every alert a workshop scenario names has a runbook page', () => {
    const runbook = (name: string) => existsSync(join(PROJECT_ROOT, 'runbooks', `${name}.md`));
    for (const s of workshopPool(catalog)) {
      for (const e of s.expectations) {
        if (e.kind !== 'alert' && e.kind !== 'notification' && e.kind !== 'resolved') continue;
        const m = e.alert;
        if (m.kind === 'exact') expect(runbook(m.value), `${s.name}: runbooks/${m.value}.md`).toBe(true);
        else expect(runbooks().filter((r) => m.value.test(r)).length, `${s.name}: a runbook matching ${matcherText(m)}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('hint grading', () => {
  const plan = pickIncident({ seed: 3, difficulty: 'normal', catalog, scenario: catalog.find((s) => s.name === 'service-crash')! });

  it('goes from where to look, to the query, to nearly the answer, each dearer than the last, then stops', () => {
    const hints = [0, 1, 2, 3].map((used) => nextHint(plan, used));
    expect(hints.slice(0, 3).map((h) => h!.level)).toEqual([1, 2, 3]);
    expect(hints.slice(0, 3).map((h) => h!.cost)).toEqual([HINT_COST[1], HINT_COST[2], HINT_COST[3]]);
    expect(HINT_COST[1]).toBeLessThan(HINT_COST[2]);
    expect(HINT_COST[2]).toBeLessThan(HINT_COST[3]);
    expect(hints[3]).toBeNull();
  });

  it('fills in the service and alert, and only the last hint names the cause', () => {
    const [h1, h2, h3] = [0, 1, 2].map((u) => nextHint(plan, u)!);
    expect(h1!.text).toContain('ServiceDown');
    expect(h2!.text).toMatch(/up\{job="sample-services"\}/);
    expect(h3!.text).toContain('ml-service');
    expect(h3!.text).toMatch(/crash/);
    for (const h of [h1!, h2!, h3!]) expect(h.text).not.toMatch(/\{service\}|\{alert\}/);
  });
});
