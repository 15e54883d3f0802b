/**
 * `npm run bench`: the design's performance goals, each reported beside a reference measured
 * in the same run on the same machine, so the figures mean the same on a laptop and in CI.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../core/paths.ts';
import { cliColdStartMs, cliVersionMs, prometheusAloneMs, sandboxColdStartMs } from './cold-start.ts';
import { runScenarioRepeatedly } from './detection.ts';
import { NATIVE_RSS_GOAL_MIB, dockerLimitsReport, goal } from './memory.ts';
import { benchCatalog } from './suite.ts';
import { median, ms, ratio } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MTTD_OVER_CEILING_GOAL = 0.25;
const line = (s = '') => process.stdout.write(`${s}\n`);

line(`# observability sandbox benchmark (${RUNS} runs each, medians)`);
line();
line('## Cold start (native runtime, to all components ready)');
const reference = await prometheusAloneMs(RUNS);
const engine = await sandboxColdStartMs(RUNS);
const cli = await cliColdStartMs(RUNS);
const version = await cliVersionMs(RUNS);
line(`reference: Prometheus alone, spawn to /-/ready      ${ms(reference)}`);
// Issue 2 asks for under 2 s; docs/architecture.md's goal is under 3 s. Both are judged.
line(`sandbox start (in-process, every component ready)  ${ms(engine.median)}  = ${ratio(engine.median, reference)} the reference   goal < 2000 ms (issue 2): ${engine.median < 2000 ? 'met' : 'NOT met'}; < 3000 ms (docs/architecture.md): ${engine.median < 3000 ? 'met' : 'NOT met'}`);
line(`\`sandbox up --detach\` from the shell                ${ms(cli)}  = ${ratio(cli, reference)} the reference   ${ms(cli - engine.median)} over the in-process start, goal ≤ 300 ms (issue 16): ${cli - engine.median <= 300 ? 'met' : 'NOT met'}`);
line(`\`sandbox --version\` from the shell                  ${ms(version)}   goal < 300 ms (issue 16): ${version < 300 ? 'met' : 'NOT met'}`);
line();

line('## Memory');
line(`native sandbox total RSS (all child processes, idle after start)  ${engine.rssMiB} MiB   ${goal(engine.rssMiB, NATIVE_RSS_GOAL_MIB, 'MiB (1 GiB)')}`);
line(dockerLimitsReport());
line();

line('## Detection: service-crash, MTTD beside the detection floor and ceiling');
const repeats = Number(process.env.BENCH_SCENARIO_REPEATS ?? 3);
const results = await runScenarioRepeatedly('scenarios/service-crash.yaml', repeats);
for (const [i, r] of results.entries()) {
  const m = r.metrics;
  const over = m.mttdSeconds !== null && m.detectionCeilingSeconds !== null ? m.mttdSeconds - m.detectionCeilingSeconds : null;
  line(`run ${i + 1}: ${r.outcome}  MTTD ${m.mttdSeconds ?? '—'} s  floor ${m.detectionFloorSeconds} s  ceiling ${m.detectionCeilingSeconds} s  MTTD − ceiling ${over === null ? '—' : over.toFixed(3)} s (goal ≤ 0.25: ${over !== null && over <= MTTD_OVER_CEILING_GOAL ? 'met' : 'NOT met'})  notify ${m.timeToNotifySeconds ?? '—'} s  MTTR ${m.mttrSeconds ?? '—'} s`);
}
const overs = results.map((r) => (r.metrics.mttdSeconds !== null && r.metrics.detectionCeilingSeconds !== null ? r.metrics.mttdSeconds - r.metrics.detectionCeilingSeconds : null));
const met = overs.filter((o) => o !== null && o <= MTTD_OVER_CEILING_GOAL).length;
// Issue 2: no later than the ceiling + 0.25 s (docs/architecture.md allows + 1 s); every run must meet it.
line(`MTTD goal (≤ ceiling + ${MTTD_OVER_CEILING_GOAL} s): ${met === results.length ? 'met' : 'NOT met'} in ${met}/${results.length} runs`);
const mttds = results.map((r) => r.metrics.mttdSeconds).filter((x): x is number => x !== null);
if (mttds.length) {
  const c = results[0]!.metrics.detectionCeilingSeconds!;
  line(`median MTTD ${median(mttds).toFixed(3)} s = ${ratio(median(mttds), c)} the detection ceiling; worst ${Math.max(...mttds).toFixed(3)} s`);
}
line();

if (process.env.BENCH_SUITE !== '0') {
  const parallel = Number(process.env.BENCH_PARALLEL ?? 2);
  line(`## The built-in catalog: \`sandbox test scenarios/ --parallel ${parallel}\` (skip with BENCH_SUITE=0)`);
  const suite = await benchCatalog(parallel, 32_000);
  line(`reference: the scenarios' own durations summed (one sandbox, no resets)  ${suite.serialSeconds.toFixed(1)} s`);
  line(`suite wall time, start to teardown                                       ${suite.wallSeconds.toFixed(1)} s = ${ratio(suite.wallSeconds, suite.serialSeconds)} the reference   goal < 300 s: ${suite.wallSeconds < 300 ? 'met' : 'NOT met'}   all passed: ${suite.passed}`);
  const f = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}s`);
  for (const r of suite.rows) {
    line(`  ${r.name.padEnd(20)} ${r.outcome.padEnd(8)} MTTD ${f(r.mttd).padStart(7)}  floor ${f(r.floor).padStart(6)}  ceiling ${f(r.ceiling).padStart(6)}  MTTR ${f(r.mttr).padStart(7)}  (${r.seconds.toFixed(0)} s)`);
  }
  line();
}

const overheadModule = join(PROJECT_ROOT, 'scripts/bench/instrumentation-overhead.ts');
if (existsSync(overheadModule)) {
  line('## Instrumentation overhead (POST /predict throughput, instrumentation on vs off)');
  const { measureInstrumentationOverhead } = (await import(overheadModule)) as {
    measureInstrumentationOverhead: () => Promise<{ report: string }>;
  };
  line((await measureInstrumentationOverhead()).report);
}
