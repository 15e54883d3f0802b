/**
 * Instrumentation overhead of the sample services: POST /predict throughput through api-gateway
 * → ml-service with all instrumentation on (metrics, traces exported over OTLP to a local sink,
 * JSON logs to a file) versus the same services with SANDBOX_INSTRUMENTATION=off, in the same run.
 * Rounds alternate off/on so that machine noise hits both alike; the medians are compared.
 *   node --import tsx scripts/bench/instrumentation-overhead.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../core/paths.ts';
import { makePredictRequest } from '../../sample-services/shared/payloads.ts';
import { median } from './stats.ts';

export interface OverheadOptions {
  /** Length of one measured round. */
  roundMs?: number;
  /** Rounds per mode. */
  rounds?: number;
  /** Requests in flight at once (closed loop). */
  concurrency?: number;
}

export interface OverheadResult {
  /** Median requests per second with instrumentation off and on. */
  offRps: number;
  onRps: number;
  /** on / off; 1 means no cost. */
  ratio: number;
  /** Share of throughput lost to instrumentation, in percent. */
  overheadPercent: number;
  report: string;
}

interface Pair {
  url: string;
  processes: ChildProcess[];
}

export async function measureInstrumentationOverhead(options: OverheadOptions = {}): Promise<OverheadResult> {
  const roundMs = options.roundMs ?? Number(process.env.BENCH_OVERHEAD_ROUND_MS ?? 4000);
  const rounds = options.rounds ?? Number(process.env.BENCH_OVERHEAD_ROUNDS ?? 3);
  const concurrency = options.concurrency ?? 8;
  const dir = mkdtempSync(join(tmpdir(), 'bench-overhead-'));
  const sink = await startOtlpSink();
  const pairs: Pair[] = [];
  try {
    const off = await startPair(join(dir, 'off'), { SANDBOX_INSTRUMENTATION: 'off' });
    pairs.push(off);
    const on = await startPair(join(dir, 'on'), { SANDBOX_INSTRUMENTATION: 'on', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url });
    pairs.push(on);
    const payloads = Array.from({ length: 2000 }, (_, i) => JSON.stringify(makePredictRequest(i)));
    // Warm both (JIT, connection pools) before measuring.
    await drive(off.url, payloads, 1000, concurrency);
    await drive(on.url, payloads, 1000, concurrency);
    const offRuns: number[] = [];
    const onRuns: number[] = [];
    for (let r = 0; r < rounds; r++) {
      offRuns.push(await drive(off.url, payloads, roundMs, concurrency));
      onRuns.push(await drive(on.url, payloads, roundMs, concurrency));
    }
    const offRps = median(offRuns);
    const onRps = median(onRuns);
    const ratio = onRps / offRps;
    const overheadPercent = (1 - ratio) * 100;
    const report = [
      `instrumentation off  ${offRps.toFixed(0)} req/s   (rounds: ${offRuns.map((x) => x.toFixed(0)).join(', ')})`,
      `instrumentation on   ${onRps.toFixed(0)} req/s   (rounds: ${onRuns.map((x) => x.toFixed(0)).join(', ')}; ${sink.spans()} span batches exported)`,
      `on/off ratio ${ratio.toFixed(3)} = ${overheadPercent.toFixed(1)} % overhead   goal < 5 %: ${overheadPercent < 5 ? 'met' : 'NOT met'}`,
      `(gateway → ml-service, ${concurrency} requests in flight, ${rounds} alternating rounds of ${roundMs / 1000} s, medians)`,
    ].join('\n');
    return { offRps, onRps, ratio, overheadPercent, report };
  } finally {
    for (const p of pairs) for (const c of p.processes) killGroup(c);
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ml-service and api-gateway on free ports, logs to files as the supervisor would. */
async function startPair(dir: string, env: Record<string, string>): Promise<Pair> {
  const base = { PATH: process.env.PATH ?? '', CHAOS_TOKEN: 'bench', SANDBOX_STATE_DIR: dir, HOST: '127.0.0.1', ...env };
  const mlPort = await freePort();
  const ml = spawnService('ml-service', dir, { ...base, PORT: String(mlPort), MODEL_REGISTRY_DIR: join(dir, 'models') });
  const mlUrl = `http://127.0.0.1:${mlPort}`;
  await waitReady(mlUrl, ml);
  const gwPort = await freePort();
  const gw = spawnService('api-gateway', dir, { ...base, PORT: String(gwPort), ML_SERVICE_URL: mlUrl });
  const url = `http://127.0.0.1:${gwPort}`;
  await waitReady(url, gw);
  return { url, processes: [gw, ml] };
}

function spawnService(name: string, dir: string, env: Record<string, string>): ChildProcess {
  rmSync(join(dir, `${name}.log`), { force: true });
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, `${name}.log`), 'a');
  return spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'sample-services', name, 'main.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...env, SERVICE_NAME: name },
    detached: true,
    stdio: ['ignore', log, log],
  });
}

/** Closed-loop load for `durationMs`; returns completed 200s per second. */
async function drive(url: string, payloads: string[], durationMs: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/predict', url);
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
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - t0;
  agent.destroy();
  return (ok * 1000) / elapsed;
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

/** Accepts OTLP/HTTP exports and drops them, so the "on" side pays the real export cost. */
async function startOtlpSink(): Promise<{ url: string; spans(): number; close(): void }> {
  let batches = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/v1/traces') batches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => batches,
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
