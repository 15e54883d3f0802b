import { describe, expect, it } from 'vitest';
import { SandboxPool } from '../../../scripts/engine/sandbox-pool.ts';
import type { SandboxConnection } from '../../../scripts/runtime/connection.ts';

// Connections are only handed out here, never called: the pool's scheduling is what is tested.
const conn = (session: string) => ({ runtime: 'native', session }) as SandboxConnection;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('sandbox pool', () => {
  it('hands each free sandbox to the next one asking, in the order asked, waiting without polling', async () => {
    const pool = new SandboxPool([conn('a'), conn('b')]);
    const log: string[] = [];
    const work = (name: string) => pool.use(async (c) => {
      log.push(`${name} on ${c.session}`);
      await tick();
      return name;
    });
    expect(await Promise.all(['1', '2', '3', '4', '5'].map(work))).toEqual(['1', '2', '3', '4', '5']);
    expect(log.slice(0, 2)).toEqual(['1 on a', '2 on b']);
    expect(log.map((l) => l.split(' ')[0])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('retires a sandbox that cannot get clean; when none is left, the rest are refused with the reason', async () => {
    const pool = new SandboxPool([conn('a'), conn('b')]);
    const used: string[] = [];
    const run = (name: string, dirty = false) =>
      pool.use(
        async (c) => {
          used.push(`${name}@${c.session}`);
          await tick();
          return dirty;
        },
        (d) => (d ? `${name} left alerts firing` : null),
      );
    const outcomes = await Promise.allSettled([run('1', true), run('2', true), run('3'), run('4')]);
    expect(used).toEqual(['1@a', '2@b']);
    expect(outcomes.slice(2).map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'ran'))).toEqual(['not run: 2 left alerts firing', 'not run: 2 left alerts firing']);
    await expect(run('5')).rejects.toMatchObject({ code: 'SANDBOX_NOT_CLEAN' });
  });

  it('runs an exclusive job with nothing beside it: it waits for the running ones, and the later ones wait for it', async () => {
    const pool = new SandboxPool([conn('a'), conn('b')]);
    let running = 0;
    const spans: string[] = [];
    const job = (name: string, exclusive = false) =>
      pool.use(
        async () => {
          running += 1;
          spans.push(`${name} starts beside ${running - 1}`);
          await tick();
          running -= 1;
          return name;
        },
        () => null,
        { exclusive },
      );
    expect(await Promise.all([job('1'), job('2'), job('cpu', true), job('3'), job('4')])).toEqual(['1', '2', 'cpu', '3', '4']);
    expect(spans).toEqual(['1 starts beside 0', '2 starts beside 1', 'cpu starts beside 0', '3 starts beside 0', '4 starts beside 1']);
  });
});

describe('which scenarios run alone', () => {
  it('one with a fault measured against the cores (cpu-burn), not the others', async () => {
    const { needsTheCores } = await import('../../../scripts/engine/suite-run.ts');
    const { loadScenario } = await import('../../../scripts/scenario/loader.ts');
    const { join } = await import('node:path');
    const { PROJECT_ROOT } = await import('../../../scripts/core/paths.ts');
    const scenario = (name: string) => loadScenario(join(PROJECT_ROOT, 'scenarios', `${name}.yaml`));
    expect(needsTheCores(scenario('cpu-saturation'))).toBe(true);
    expect(needsTheCores(scenario('service-crash'))).toBe(false);
    expect(needsTheCores(scenario('ml-latency-spike'))).toBe(false);
  });

  it('on several sandboxes the exclusive ones ask first (nothing runs to drain), then the longest first; on one, as given', async () => {
    const { runOrder } = await import('../../../scripts/engine/suite-run.ts');
    const { loadScenario } = await import('../../../scripts/scenario/loader.ts');
    const { join } = await import('node:path');
    const { PROJECT_ROOT } = await import('../../../scripts/core/paths.ts');
    const names = ['service-crash', 'latency-regression', 'cpu-saturation', 'baseline', 'traffic-drop'];
    const scenarios = names.map((n) => loadScenario(join(PROJECT_ROOT, 'scenarios', `${n}.yaml`)));
    const durations = Object.fromEntries(scenarios.map((s) => [s.name, s.load.durationSeconds]));
    const ordered = runOrder(scenarios, 2).map((i) => names[i]!);
    expect(ordered[0]).toBe('cpu-saturation');
    const rest = ordered.slice(1).map((n) => durations[n]!);
    expect(rest).toEqual([...rest].sort((a, b) => b - a));
    expect(runOrder(scenarios, 1).map((i) => names[i])).toEqual(names);
  });
});

describe('shard port offsets', () => {
  it('give every shard ports no other shard has, all usable', async () => {
    const { shardOffsets } = await import('../../../scripts/engine/open-sandboxes.ts');
    const { portPlan, isUsableOffset } = await import('../../../scripts/stack/catalog.ts');
    for (const base of [0, 1000, 4200]) {
      const offsets = shardOffsets(base, 3);
      expect(offsets[0]).toBe(base);
      expect(offsets.every(isUsableOffset)).toBe(true);
      const ports = offsets.flatMap((o) => portPlan(o).all().map((p) => p.port));
      expect(new Set(ports).size, `offsets ${offsets.join(', ')}`).toBe(ports.length);
    }
  });
});
