/**
 * Instrumentation overhead of the sample services: POST /predict throughput through api-gateway
 * → ml-service with every signal on, and with each signal alone (SANDBOX_INSTRUMENTATION=metrics,
 * traces, logs), against the same services with SANDBOX_INSTRUMENTATION=off, in the same run.
 * "On" is the most expensive shipped configuration, the LGTM stack's: spans exported over OTLP
 * and every log line shipped as an OTLP log record (to a local sink that drops them), besides
 * the JSON lines on stdout and the Prometheus histogram with exemplars. The services run as the
 * sandbox runs them (the host build, plain node). Rounds rotate through the variants so that
 * machine noise hits all alike; medians are compared. Each service's CPU time per request, from
 * /proc, is reported beside the throughput as a second, load-independent view.
 *   node --import tsx scripts/bench/instrumentation-overhead.ts
 * BENCH_OVERHEAD_CPU_PROF=<dir> runs every service under `node --cpu-prof` and leaves one
 * `<variant>-<service>.cpuprofile` per process there (stopped with SIGTERM so the profile is
 * written); the profiler slows the services, so read its throughput figures as relative only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareHostLauncher, type HostLauncher } from '../runtime/processes/host-build.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { makePredictRequest } from '../../sample-services/shared/payloads.ts';
import { median } from './stats.ts';

export interface OverheadOptions {
  /** Length of one measured round. */
  roundMs?: number;
  /** Rounds per variant. */
  rounds?: number;
  /** Requests in flight at once (closed loop). */
  concurrency?: number;
}

export const OVERHEAD_GOAL_PERCENT = 5;
const VARIANTS = ['off', 'metrics', 'traces', 'logs', 'on'] as const;
type Variant = (typeof VARIANTS)[number];

export interface VariantResult {
  variant: Variant;
  /** Median requests per second, and every round's. */
  rps: number;
  rounds: number[];
  /** Median CPU time per request of each service, in microseconds. */
  gatewayCpuUs: number;
  mlCpuUs: number;
  /** Throughput lost against "off", in percent (0 for off itself). */
  overheadPercent: number;
}

export interface OverheadResult {
  variants: VariantResult[];
  /** All signals on: the figure the goal is about. */
  overheadPercent: number;
  report: string;
}

interface Pair {
  url: string;
  processes: ChildProcess[];
}

const ENTRY = (name: string) => join('sample-services', name, 'main.ts');

export async function measureInstrumentationOverhead(options: OverheadOptions = {}): Promise<OverheadResult> {
  const roundMs = options.roundMs ?? Number(process.env.BENCH_OVERHEAD_ROUND_MS ?? 3000);
  const rounds = options.rounds ?? Number(process.env.BENCH_OVERHEAD_ROUNDS ?? 5);
  const concurrency = options.concurrency ?? 8;
  const dir = mkdtempSync(join(tmpdir(), 'bench-overhead-'));
  const sink = await startOtlpSink();
  const launcher = await prepareHostLauncher(PROJECT_ROOT, [ENTRY('ml-service'), ENTRY('api-gateway')]);
  const profileDir = process.env.BENCH_OVERHEAD_CPU_PROF;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const pairs = new Map<Variant, Pair>();
  try {
    for (const v of VARIANTS) {
      const exporting = v === 'on' || v === 'traces' || v === 'logs';
      pairs.set(
        v,
        await startPair(launcher, join(dir, v), profileDir ? { dir: profileDir, variant: v } : undefined, {
          SANDBOX_INSTRUMENTATION: v,
          ...(exporting ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${sink.url}/v1/logs` } : {}),
        }),
      );
    }
    const payloads = Array.from({ length: 2000 }, (_, i) => JSON.stringify(makePredictRequest(i)));
    // Warm every pair (JIT, connection pools) before measuring.
    for (const p of pairs.values()) await drive(p, payloads, 1000, concurrency);
    const runs = new Map<Variant, { rps: number; gw: number; ml: number }[]>(VARIANTS.map((v) => [v, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate the order every round: no variant always follows the same one.
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + r) % VARIANTS.length]!;
        runs.get(v)!.push(await drive(pairs.get(v)!, payloads, roundMs, concurrency));
      }
    }
    const off = median(runs.get('off')!.map((x) => x.rps));
    const variants = VARIANTS.map((v): VariantResult => {
      const rs = runs.get(v)!;
      const rps = median(rs.map((x) => x.rps));
      return { variant: v, rps, rounds: rs.map((x) => x.rps), gatewayCpuUs: median(rs.map((x) => x.gw)), mlCpuUs: median(rs.map((x) => x.ml)), overheadPercent: (1 - rps / off) * 100 };
    });
    const on = variants.find((v) => v.variant === 'on')!;
    const offV = variants[0]!;
    const cpuCost = (v: VariantResult) => v.gatewayCpuUs + v.mlCpuUs - offV.gatewayCpuUs - offV.mlCpuUs;
    const label: Record<Variant, string> = {
      off: 'off (reference)',
      metrics: 'metrics alone',
      traces: 'traces alone (OTLP export)',
      logs: 'logs alone (stdout + OTLP)',
      on: 'all on (LGTM defaults)',
    };
    const lines = variants.map((v) => {
      const cost = v.variant === 'off' ? 'reference' : `${v.overheadPercent.toFixed(1).padStart(5)} % throughput, ${signed(cpuCost(v))} µs CPU/request`;
      return `  ${label[v.variant].padEnd(28)} ${v.rps.toFixed(0).padStart(5)} req/s   CPU/request gateway ${v.gatewayCpuUs.toFixed(0).padStart(4)} µs, ml-service ${v.mlCpuUs.toFixed(0).padStart(5)} µs   ${cost}   (rounds ${v.rounds.map((x) => x.toFixed(0)).join(', ')})`;
    });
    const report = [
      ...lines,
      `all on: ${on.overheadPercent.toFixed(1)} % overhead beside the same-run reference of ${off.toFixed(0)} req/s   goal < ${OVERHEAD_GOAL_PERCENT} %: ${on.overheadPercent < OVERHEAD_GOAL_PERCENT ? 'met' : 'NOT met'}   (${sink.batches()} OTLP batches exported)`,
      `(gateway → ml-service, ${launcher.mode === 'built' ? 'host build' : `tsx: ${launcher.reason ?? ''}`}, ${concurrency} requests in flight, ${rounds} rotating rounds of ${roundMs / 1000} s per variant, medians)`,
    ].join('\n');
    return { variants, overheadPercent: on.overheadPercent, report };
  } finally {
    if (profileDir) await Promise.all([...pairs.values()].flatMap((p) => p.processes.map(stopForProfile)));
    for (const p of pairs.values()) for (const c of p.processes) killGroup(c);
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(0)}`;

/** ml-service and api-gateway on free ports, logs to files as the supervisor would. */
async function startPair(launcher: HostLauncher, dir: string, profile: { dir: string; variant: string } | undefined, env: Record<string, string>): Promise<Pair> {
  const base = { PATH: process.env.PATH ?? '', CHAOS_TOKEN: 'bench', SANDBOX_STATE_DIR: dir, HOST: '127.0.0.1', ...env };
  const mlPort = await freePort();
  const ml = spawnService(launcher, 'ml-service', dir, profile, { ...base, PORT: String(mlPort), MODEL_REGISTRY_DIR: join(dir, 'models') });
  const mlUrl = `http://127.0.0.1:${mlPort}`;
  await waitReady(mlUrl, ml);
  const gwPort = await freePort();
  const gw = spawnService(launcher, 'api-gateway', dir, profile, { ...base, PORT: String(gwPort), ML_SERVICE_URL: mlUrl });
  const url = `http://127.0.0.1:${gwPort}`;
  await waitReady(url, gw);
  return { url, processes: [gw, ml] };
}

function spawnService(launcher: HostLauncher, name: string, dir: string, profile: { dir: string; variant: string } | undefined, env: Record<string, string>): ChildProcess {
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, `${name}.log`), 'a');
  const prof = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.variant}-${name}.cpuprofile`] : [];
  return spawn(process.execPath, [...prof, ...launcher.args(ENTRY(name))], {
    cwd: PROJECT_ROOT,
    env: { ...env, SERVICE_NAME: name },
    detached: true,
    stdio: ['ignore', log, log],
  });
}

/** Closed-loop load for `durationMs`: completed 200s per second, and each service's CPU µs per request. */
async function drive(pair: Pair, payloads: string[], durationMs: number, concurrency: number): Promise<{ rps: number; gw: number; ml: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/predict', pair.url);
  const until = performance.now() + durationMs;
  let ok = 0;
  let next = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const status = await post(target, payloads[next++ % payloads.length]!, agent);
      if (status !== 200) throw new Error(`POST /predict answered ${status} during the overhead bench`);
      ok += 1;
    }
  };
  const [gw, ml] = pair.processes;
  const cpu0 = [cpuSeconds(gw!), cpuSeconds(ml!)];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - t0;
  const cpu1 = [cpuSeconds(gw!), cpuSeconds(ml!)];
  agent.destroy();
  return { rps: (ok * 1000) / elapsed, gw: ((cpu1[0]! - cpu0[0]!) * 1e6) / ok, ml: ((cpu1[1]! - cpu0[1]!) * 1e6) / ok };
}

/** User + system CPU of a process so far, from /proc (Linux); 0 where there is none. */
function cpuSeconds(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function post(url: URL, body: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Accepts OTLP/HTTP exports and drops them, so the exporting variants pay the real export cost. */
async function startOtlpSink(): Promise<{ url: string; batches(): number; close(): void }> {
  let batches = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      batches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches: () => batches,
    close: () => server.close(),
  };
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${url}: service exited with code ${child.exitCode} during the overhead bench`);
    const ok = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within 20 s`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = http.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** SIGTERM and wait (at most 5 s) for the exit that writes the --cpu-prof profile. */
function stopForProfile(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return Promise.race([exited, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log((await measureInstrumentationOverhead()).report);
}
