/**
 * A/B cold start: alternates runs with the host-process build off (tsx at run time,
 * SANDBOX_HOST_BUILD=0) and on, so both see the same background load. Prints every run.
 *   BENCH_RUNS=5 node --import tsx scripts/bench/cold-start-ab.ts
 */
import { prometheusAloneMs, sandboxColdStartMs } from './cold-start.ts';
import { median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const modes = (process.env.BENCH_MODES ?? 'tsx,build').split(',');
const times: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
const prom: number[] = [];
for (let i = 0; i < RUNS; i++) {
  prom.push(await prometheusAloneMs(1));
  for (const mode of i % 2 ? [...modes].reverse() : modes) {
    process.env.SANDBOX_HOST_BUILD = mode === 'tsx' ? '0' : '1';
    const { median: t } = await sandboxColdStartMs(1);
    times[mode]!.push(t);
    process.stdout.write(`run ${i + 1} ${mode.padEnd(5)} ${Math.round(t)} ms\n`);
  }
}
const fmt = (xs: number[]) => `median ${Math.round(median(xs))} ms  min ${Math.round(Math.min(...xs))}  max ${Math.round(Math.max(...xs))}  all [${xs.map(Math.round).join(', ')}]`;
process.stdout.write(`prometheus alone  ${fmt(prom)}\n`);
for (const m of modes) process.stdout.write(`sandbox ${m.padEnd(5)}     ${fmt(times[m]!)}\n`);
