/**
 * A/B cold start of the native sandbox (sandboxColdStartMs, one run at a time), alternating the
 * ways host processes start so that every variant sees the same background load:
 *   tsx   SANDBOX_HOST_BUILD=0: node --import tsx <entry>.ts, compiled at run time
 *   warm  from the host build, reused (nothing changed since the last build)
 *   cold  from the host build, with the build cache emptied first (the build's time counts)
 *   BENCH_RUNS=5 BENCH_MODES=tsx,warm,cold node --import tsx scripts/bench/cold-start-ab.ts
 */
import { rmSync } from 'node:fs';
import { defaultCacheDir } from '../runtime/processes/host-build.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { prometheusAloneMs, sandboxColdStartMs } from './cold-start.ts';
import { median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const modes = (process.env.BENCH_MODES ?? 'tsx,warm,cold').split(',');
const times: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
const prom: number[] = [];
const line = (s: string) => process.stdout.write(`${s}\n`);
for (let i = 0; i < RUNS; i++) {
  prom.push(await prometheusAloneMs(1));
  // Rotate the order each round: no variant always runs right after the same other one.
  const order = modes.map((_, k) => modes[(k + i) % modes.length]!);
  for (const mode of order) {
    process.env.SANDBOX_HOST_BUILD = mode === 'tsx' ? '0' : '1';
    if (mode === 'cold') rmSync(defaultCacheDir(PROJECT_ROOT), { recursive: true, force: true });
    const { median: t } = await sandboxColdStartMs(1);
    times[mode]!.push(t);
    line(`round ${i + 1} ${mode.padEnd(5)} ${Math.round(t)} ms`);
  }
}
const fmt = (xs: number[]) => `median ${Math.round(median(xs))} ms  min ${Math.round(Math.min(...xs))}  max ${Math.round(Math.max(...xs))}  [${xs.map(Math.round).join(', ')}]`;
line(`prometheus alone  ${fmt(prom)}`);
for (const m of modes) line(`sandbox ${m.padEnd(5)}     ${fmt(times[m]!)}`);
