import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import type { HostLauncher } from '../../../scripts/runtime/processes/host-build.ts';
import { prepareSandboxLauncher } from '../../../scripts/runtime/processes/host-entries.ts';

/** Real sample-service processes for integration tests, on free ports, in their own process groups. */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const TOKEN = 'test-chaos-token';

let launcher: Promise<HostLauncher> | undefined;
/** `node` arguments for a host-process entry, as the sandbox starts it (the host build, or tsx). */
export async function hostArgs(entry: string): Promise<string[]> {
  launcher ??= prepareSandboxLauncher();
  return (await launcher).args(resolve(ROOT, entry));
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything written to stdout so far (JSON log lines). */
  output(): string;
  logLines(): Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export interface Sandbox {
  stateDir: string;
  start(name: 'ml-service' | 'api-gateway', env?: Record<string, string>, options?: { port?: number; waitReady?: boolean }): Promise<ServiceProcess>;
  /** Kills every process this sandbox started and removes its state dir. */
  cleanup(): Promise<void>;
}

export function createSandbox(): Sandbox {
  const stateDir = mkdtempSync(join(tmpdir(), 'sample-services-'));
  const started: ServiceProcess[] = [];
  return {
    stateDir,
    async start(name, env = {}, options = {}) {
      const port = options.port ?? (await freePort());
      const child = spawn(process.execPath, await hostArgs(join('sample-services', name, 'main.ts')), {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          SERVICE_NAME: name,
          HOST: '127.0.0.1',
          PORT: String(port),
          CHAOS_TOKEN: TOKEN,
          SANDBOX_STATE_DIR: stateDir,
          MODEL_REGISTRY_DIR: join(stateDir, 'models'),
          ...env,
        },
      });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
        child.once('exit', (code, signal) => ok({ code, signal })),
      );
      const proc: ServiceProcess = {
        name,
        port,
        url: `http://127.0.0.1:${port}`,
        child,
        output: () => out,
        logLines: () =>
          out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        exited,
        kill(signal = 'SIGKILL') {
          try {
            process.kill(-child.pid!, signal);
          } catch {
            // already gone
          }
        },
      };
      started.push(proc);
      await waitFor(`${proc.url}${options.waitReady ? '/ready' : '/health'}`, 20_000, exited, () => `${out}\n${err}`);
      return proc;
    },
    async cleanup() {
      for (const p of started) p.kill('SIGKILL');
      await Promise.all(started.map((p) => Promise.race([p.exited, sleep(3000)])));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function waitFor(url: string, timeoutMs: number, exited: Promise<unknown>, logs: () => string): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (dead) throw new Error(`process exited before ${url} answered:\n${logs()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
      .then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      })
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs}ms:\n${logs()}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function chaos(base: string, method: string, path = '', body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/chaos/faults${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { 'x-chaos-token': token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Parses a Prometheus/OpenMetrics exposition into sample lines: name{labels} → value. */
export async function scrape(base: string, accept?: string): Promise<{ text: string; contentType: string; value(series: string): number; sum(prefix: string, match?: string): number }> {
  const res = await fetch(`${base}/metrics`, { headers: accept ? { accept } : {} });
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const withoutExemplar = line.split(' # ')[0]!;
    const at = withoutExemplar.lastIndexOf(' ');
    samples.set(withoutExemplar.slice(0, at), Number(withoutExemplar.slice(at + 1)));
  }
  return {
    text,
    contentType: res.headers.get('content-type') ?? '',
    value: (series) => samples.get(series) ?? 0,
    sum: (prefix, match = '') => [...samples].filter(([k]) => k.startsWith(prefix) && k.includes(match)).reduce((a, [, v]) => a + v, 0),
  };
}

/** What the trace checks need of an exported span. */
export interface SpanSeen {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  service?: string;
  kind: number;
  name: string;
}

/**
 * One POST /predict across both services, as exported: the gateway's server span, its client
 * span under it, ml-service's server span under that, and the inference span under that.
 */
export function expectPredictTrace(spans: readonly SpanSeen[], traceId: string): void {
  const inTrace = spans.filter((s) => s.traceId === traceId);
  const gwServer = inTrace.find((s) => s.service === 'api-gateway' && s.kind === 2 && s.name === 'POST /predict');
  const gwClient = inTrace.find((s) => s.service === 'api-gateway' && s.kind === 3);
  const mlServer = inTrace.find((s) => s.service === 'ml-service' && s.kind === 2);
  const inference = inTrace.find((s) => s.service === 'ml-service' && s.name === 'model.inference');
  expect(gwServer, JSON.stringify(inTrace)).toBeDefined();
  expect(gwClient?.parentSpanId).toBe(gwServer!.spanId);
  expect(mlServer?.parentSpanId).toBe(gwClient!.spanId);
  expect(inference?.parentSpanId).toBe(mlServer!.spanId);
}
