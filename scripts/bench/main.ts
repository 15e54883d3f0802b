/**
 * `npm run bench`: the performance goals, each printed beside its goal and a reference measured
 * in the same run on the same machine, so the figures mean the same on a laptop and in CI.
 *   BENCH_RUNS (cold starts, default 5), BENCH_SCENARIO_REPEATS (service-crash, default 3),
 *   BENCH_SUITE=0 skips the catalog, BENCH_CATALOG_RUNS (default 1), BENCH_PARALLEL (default:
 *   the CLI's own), BENCH_OVERHEAD_ROUNDS / BENCH_OVERHEAD_ROUND_MS.
 */
import { cliColdStartMs, cliVersionMs, prometheusAloneMs, sandboxColdStartMs } from './cold-start.ts';
import { runScenarioRepeatedly } from './detection.ts';
import { measureInstrumentationOverhead } from './instrumentation-overhead.ts';
import { dockerLimitsReport, goal, NATIVE_IDLE_RSS_GOAL_MIB } from './memory.ts';
import { benchCatalog, CEILING_SLACK_SECONDS, withinBounds, type AlertRow } from './suite.ts';
import { median, ms, ratio } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Issue 15: the native cold start at most 10× Prometheus alone on the same machine. */
const COLD_START_GOAL_RATIO = 10;
/** Issue 15: the catalog in at most 3 minutes on 2 cores. */
const CATALOG_GOAL_SECONDS = 180;
const line = (s = '') => process.stdout.write(`${s}\n`);
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
const f2 = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}s`);

line(`# observability sandbox benchmark (${RUNS} runs each, medians)`);
line();
line('## Cold start (native runtime, to all components ready)');
const reference = await prometheusAloneMs(RUNS);
const engine = await sandboxColdStartMs(RUNS);
const cli = await cliColdStartMs(RUNS);
const version = await cliVersionMs(RUNS);
const startRatio = engine.median / reference;
line(`reference: Prometheus alone, spawn to /-/ready      ${ms(reference)}`);
line(`sandbox start (in-process, every component ready)  ${ms(engine.median)}  = ${ratio(engine.median, reference)} the reference   goal ≤ ${COLD_START_GOAL_RATIO}× (issue 15): ${met(startRatio <= COLD_START_GOAL_RATIO)}; < 3000 ms (docs/architecture.md): ${met(engine.median < 3000)}`);
line(`\`sandbox up --detach\` from the shell                ${ms(cli)}  = ${ratio(cli, reference)} the reference   ${ms(cli - engine.median)} over the in-process start, goal ≤ 300 ms (issue 16): ${met(cli - engine.median <= 300)}`);
line(`\`sandbox --version\` from the shell                  ${ms(version)}   goal < 300 ms (issue 16): ${met(version < 300)}`);
line();

line('## Memory');
line(`native sandbox total RSS (up --detach: host and every process under it, idle 3 s)  ${engine.rssMiB} MiB   ${goal(engine.rssMiB, NATIVE_IDLE_RSS_GOAL_MIB, 'MiB (issue 15)')}   (${engine.rssByProcess.map((p) => `${p.name} ${p.mib}`).join(', ')})`);
line(dockerLimitsReport());
line();

line('## Detection: service-crash, MTTD beside the detection floor and ceiling');
const repeats = Number(process.env.BENCH_SCENARIO_REPEATS ?? 3);
const results = await runScenarioRepeatedly('scenarios/service-crash.yaml', repeats);
for (const [i, r] of results.entries()) {
  const m = r.metrics;
  const inside = m.mttdSeconds !== null && m.detectionFloorSeconds !== null && m.detectionCeilingSeconds !== null && m.mttdSeconds >= m.detectionFloorSeconds && m.mttdSeconds <= m.detectionCeilingSeconds + CEILING_SLACK_SECONDS;
  line(`run ${i + 1}: ${r.outcome}  MTTD ${f2(m.mttdSeconds)} = ${m.mttdOfCeiling ?? '—'}× ceiling  in [floor ${f2(m.detectionFloorSeconds)}, ceiling ${f2(m.detectionCeilingSeconds)} + ${CEILING_SLACK_SECONDS}s]: ${met(inside)}  notify ${f2(m.timeToNotifySeconds)}  MTTR ${f2(m.mttrSeconds)}`);
}
line();

if (process.env.BENCH_SUITE !== '0') {
  const parallel = process.env.BENCH_PARALLEL ? Number(process.env.BENCH_PARALLEL) : null;
  const catalogRuns = Number(process.env.BENCH_CATALOG_RUNS ?? 1);
  line(`## The built-in catalog: \`sandbox test scenarios/\`${parallel === null ? ' (default parallelism)' : ` --parallel ${parallel}`}, ${catalogRuns} run${catalogRuns === 1 ? '' : 's'} (skip with BENCH_SUITE=0)`);
  const alerts: AlertRow[][] = [];
  for (let i = 0; i < catalogRuns; i++) {
    const suite = await benchCatalog(parallel, 32_000);
    alerts.push(suite.alerts);
    line(`run ${i + 1}: wall ${suite.wallSeconds.toFixed(1)} s   goal ≤ ${CATALOG_GOAL_SECONDS} s: ${met(suite.wallSeconds <= CATALOG_GOAL_SECONDS)}   reference: the scenarios' own durations summed ${suite.serialSeconds.toFixed(1)} s (wall = ${ratio(suite.wallSeconds, suite.serialSeconds)})   all passed: ${suite.passed}`);
    for (const r of suite.rows) line(`  ${r.name.padEnd(20)} ${r.outcome.padEnd(8)} MTTD ${f2(r.mttd).padStart(7)}  floor ${f2(r.floor).padStart(7)}  ceiling ${f2(r.ceiling).padStart(7)}  MTTR ${f2(r.mttr).padStart(7)}  (${r.seconds.toFixed(0)} s)`);
  }
  line(`MTTD of every expected alert beside its modelled floor and ceiling (goal: within [floor, ceiling + ${CEILING_SLACK_SECONDS}s] in every run)`);
  const keys = [...new Set(alerts.flat().map((a) => `${a.scenario}\t${a.alert}`))];
  let inside = 0;
  let total = 0;
  for (const key of keys) {
    const rows = alerts.map((run) => run.find((a) => `${a.scenario}\t${a.alert}` === key)).filter((a): a is AlertRow => a !== undefined);
    const ok = rows.filter(withinBounds).length;
    inside += ok;
    total += rows.length;
    const [scenario, alert] = key.split('\t');
    const first = rows[0]!;
    line(`  ${scenario!.padEnd(20)} ${alert!.padEnd(26)} MTTD ${rows.map((a) => f2(a.mttd)).join(' / ').padEnd(24)} ×ceiling ${rows.map((a) => a.ofCeiling ?? '—').join(' / ').padEnd(16)} floor ${f2(first.floor).padStart(7)} ceiling ${f2(Math.max(...rows.map((a) => a.ceiling))).padStart(7)}  ${met(ok === rows.length)}`);
  }
  const fractions = alerts.flat().map((a) => a.ofCeiling).filter((x): x is number => x !== null);
  line(`within bounds: ${inside}/${total} ${met(inside === total)}; MTTD as a fraction of its ceiling: median ${fractions.length ? median(fractions).toFixed(2) : '—'}, max ${fractions.length ? Math.max(...fractions).toFixed(2) : '—'}`);
  line();
}

line('## Instrumentation overhead (POST /predict throughput, each signal and all on, against all off)');
line((await measureInstrumentationOverhead()).report);
