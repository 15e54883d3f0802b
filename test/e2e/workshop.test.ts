import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIO_DIR, scenarioFilesIn } from '../../scripts/scenario/discover.ts';
import { loadScenario } from '../../scripts/scenario/loader.ts';
import { pickIncident } from '../../scripts/workshop/plan.ts';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

/**
 * A scripted trainee runs a whole workshop through the real CLI: a seeded, hidden incident
 * (the seed draws service-crash from the catalog), waiting for the page, ack, a wrong and then
 * a right diagnosis, a hint, the fix, recovery, and a debrief whose times and score are exactly
 * what the script did. The same seed in a fresh state dir injects the same incident.
 */
const catalog = scenarioFilesIn(BUILTIN_SCENARIO_DIR).map((f) => loadScenario(f));
const SEED = Array.from({ length: 1000 }, (_, i) => i).find((seed) => pickIncident({ seed, difficulty: 'normal', catalog }).scenario === 'service-crash')!;
const START = ['workshop', 'start', '--seed', String(SEED), '--random', '--quiet-period', '3s', '--runtime', 'native', '--json'];

type Sandbox = Awaited<ReturnType<typeof isolatedSandbox>>;
const started: Sandbox[] = [];
let firstReveal: Record<string, unknown> | undefined;

afterAll(async () => {
  for (const s of started) await runCli(['down'], s.env);
});

async function json(sb: Sandbox, args: string[]): Promise<any> {
  const r = await runCli(args, sb.env);
  expect(r.code, `sandbox ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

describe('sandbox workshop', () => {
  it('a scripted trainee: page, ack, wrong then right diagnosis, hint, fix, recovery; the debrief matches', async () => {
    const sb = await isolatedSandbox('e2e-workshop-');
    started.push(sb);
    const ws = (...args: string[]) => json(sb, ['workshop', ...args]);

    const start = await json(sb, START);
    expect(start).toMatchObject({ seed: SEED, difficulty: 'normal', remediation: false, startedSandbox: true });

    // Wait for the page, as on call would: only through what `status` shows.
    const page = await until(
      'ServiceDown in workshop status',
      async () => {
        const s = await ws('status', '--json');
        expect(s).not.toHaveProperty('scenario');
        return s.alerts.find((a: { alert: string; labels: { service?: string } }) => a.alert === 'ServiceDown' && a.labels.service === 'ml-service');
      },
      60_000,
    );
    expect(page.severity).toBe('critical');

    const ack = await ws('ack', '--json');
    expect(ack).toMatchObject({ acknowledged: true, already: false });
    const wrong = await ws('diagnose', '--service', 'ml-service', '--cause', 'latency', '--json');
    expect(wrong).toMatchObject({ correct: false, wrongDiagnoses: 1 });
    const hint = await ws('hint', '--json');
    expect(hint.hint).toMatchObject({ level: 1, cost: 5 });
    const right = await ws('diagnose', '--service', 'ml-service', '--cause', 'crash', '--json');
    expect(right).toMatchObject({ correct: true, wrongDiagnoses: 1 });
    const fix = await ws('fix', 'restart', '--service', 'ml-service', '--json');
    expect(fix).toMatchObject({ action: 'restart', service: 'ml-service', ok: true });

    await until('recovery', async () => ((await ws('status', '--json')).recovered ? true : undefined), 60_000);
    const status = await ws('status', '--json');
    expect(status).toMatchObject({ active: true, acknowledged: { t: ack.t }, diagnosis: { correct: true, wrong: 1 }, hintsUsed: 1 });

    const d = await ws('debrief', '--json');
    const m = d.milestones;
    expect(d).toMatchObject({ scenario: 'service-crash', seed: SEED, difficulty: 'normal', remediation: false, quietPeriodSeconds: 3 });
    // The incident came after the quiet period, and the page after the incident.
    expect(m.incidentStartT).toBeGreaterThanOrEqual(3);
    expect(m.incidentStartT).toBeLessThan(5);
    expect(m.firstAlertT).toBeGreaterThan(m.incidentStartT);
    expect(m.firstAlertT).toBeLessThanOrEqual(ack.t);
    // The trainee's times are exactly the moments the script acted.
    expect(m.ackT).toBe(ack.t);
    expect(m.correctDiagnosisT).toBe(right.t);
    expect(m.timeToAckSeconds).toBeCloseTo(ack.t - m.firstAlertT, 3);
    expect(m.timeToDiagnosisSeconds).toBeCloseTo(right.t - m.incidentStartT, 3);
    expect(m.recoveredT).toBeGreaterThan(fix.t);
    expect(m.timeToRecoverySeconds).toBeCloseTo(m.recoveredT - m.incidentStartT, 3);
    expect(m.wrongDiagnoses).toBe(1);
    expect(m.hints).toEqual([1]);
    // The documented formula: 100 − 2/min to ack − 2/min to diagnose − 3/min to recover − 10 per wrong diagnosis − hint costs.
    const expected = round1(100 - round1((2 * m.timeToAckSeconds) / 60) - round1((2 * m.timeToDiagnosisSeconds) / 60) - round1((3 * m.timeToRecoverySeconds) / 60) - 10 - 5);
    expect(d.score.total).toBe(expected);

    const kinds = d.timeline.map((e: { kind: string }) => e.kind);
    for (const k of ['workshop-start', 'load-start', 'fault-start', 'process-exit', 'alert-firing', 'ack', 'diagnose', 'hint', 'fix', 'process-start', 'fault-end', 'alert-resolved', 'recovered']) {
      expect(kinds, k).toContain(k);
    }
    // Remediation is off: the controller only recorded what it would have done.
    for (const e of d.timeline.filter((x: { kind: string }) => x.kind === 'remediation')) expect(e.result).toBe('dry-run');
    expect(existsSync(d.html)).toBe(true);
    const html = readFileSync(d.html, 'utf8');
    expect(html).toContain('fault: crash on ml-service');
    expect(html).not.toMatch(/https?:\/\//);

    firstReveal = await ws('reveal', '--json');
    expect(firstReveal).toMatchObject({
      scenario: 'service-crash',
      seed: SEED,
      quietPeriodSeconds: 3,
      faults: [{ type: 'crash', service: 'ml-service', atSeconds: 3, durationSeconds: null, params: {} }],
      primaryAlert: 'ServiceDown',
    });

    const stop = await runCli(['workshop', 'stop'], sb.env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/stopped the sandbox/);
    const after = await ws('debrief', '--json');
    expect(after.finished).toBe(true);
    expect(after.score.total).toBe(d.score.total);
  });

  it('the same seed in a fresh state dir injects the same incident', async () => {
    expect(firstReveal).toBeDefined();
    const sb = await isolatedSandbox('e2e-workshop-again-');
    started.push(sb);
    await json(sb, START);
    const reveal = await until(
      'the incident',
      async () => {
        const r = await json(sb, ['workshop', 'reveal', '--json']);
        return r.injected.length > 0 ? r : undefined;
      },
      30_000,
    );
    const same = (r: Record<string, unknown>) => ({ scenario: r.scenario, seed: r.seed, difficulty: r.difficulty, quietPeriodSeconds: r.quietPeriodSeconds, faults: r.faults, expectedAlerts: r.expectedAlerts });
    expect(same(reveal)).toEqual(same(firstReveal!));
    expect(reveal.injected).toMatchObject([{ type: 'crash', service: 'ml-service' }]);
    expect(reveal.injected[0].t).toBeGreaterThanOrEqual(3);
    expect(reveal.injected[0].t).toBeLessThan(5);
    const down = await runCli(['down'], sb.env);
    expect(down.code).toBe(0);
    expect(existsSync(join(sb.stateDir, 'session.json'))).toBe(false);
  });
});
