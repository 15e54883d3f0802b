import { accessSync, constants, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../../scripts/load/driver.ts';
import { findK6 } from '../../../scripts/load/k6/runner.ts';
import { predictBodies } from '../../../scripts/load/payloads.ts';
import { runCli } from '../../helpers/cli.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';

// k6 is an optional engine: without the binary this file reports its test as skipped, by name.
const hasK6 = findK6() !== null;

let server: Server;
let baseUrl: string;
const seen: { method: string; url: string; json: boolean }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      let json = false;
      try {
        json = typeof (JSON.parse(body) as { engineId?: unknown }).engineId === 'string';
      } catch {
        // no body
      }
      seen.push({ method: req.method!, url: req.url!, json });
      // /flaky fails every time: the summary must count those as failed.
      setTimeout(() => res.writeHead(req.url === '/flaky' ? 503 : 200).end('{}'), 20);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('k6 engine', () => {
  it.skipIf(!hasK6)('runs a ramping-arrival-rate profile through k6 into a LoadSummary (needs the k6 binary on PATH; install: https://grafana.com/docs/k6/latest/set-up/install-k6/)', async () => {
    const nextBody = predictBodies(3);
    const summary = await new LoadDriver({
      engine: 'k6',
      executor: 'ramping-arrival-rate',
      rate: 0,
      startRate: 0,
      stages: [{ target: 20, durationSeconds: 2 }],
      durationSeconds: 3, // then 1 s holding 20 rps: ≈ 20 + 20 requests
      requests: [
        { method: 'POST', path: '/predict', weight: 3 },
        { method: 'GET', path: '/flaky', weight: 1 },
      ],
      baseUrl,
      body: (e) => (e.method === 'GET' ? undefined : nextBody()),
    }).run();
    expect(summary.sent).toBeGreaterThanOrEqual(35);
    expect(summary.sent).toBeLessThanOrEqual(45);
    expect(summary.sent).toBe(seen.length);
    const flaky = seen.filter((s) => s.url === '/flaky').length;
    expect(summary.failed).toBe(flaky);
    expect(summary.statusCounts).toMatchObject({ '2xx': summary.sent - flaky, '5xx': flaky });
    expect(seen.filter((s) => s.method === 'POST').every((s) => s.json)).toBe(true);
    expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(15);
    expect(summary.latencyMs.max).toBeGreaterThanOrEqual(summary.latencyMs.p95);
  });
});

/** PATH without any directory that holds a k6 executable. */
function pathWithoutK6(path = process.env.PATH ?? ''): string {
  return path
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, 'k6'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

describe('engine: k6 that cannot run here', () => {
  it('is refused before anything starts on the native runtime, naming the scenario and the ways out', async () => {
    const { env, stateDir } = await isolatedSandbox('k6-refused-');
    const t0 = performance.now();
    const r = await runCli(['test', 'test/fixtures/scenarios/k6-docker.yaml', '--runtime', 'native'], { ...env, PATH: pathWithoutK6() }, 60_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/^error\[BINARY_MISSING\]: \S+k6-docker\.yaml: load\.engine is k6, but the k6 binary was not found on PATH \(runtime native\)$/m);
    expect(r.stderr).toMatch(/k6-docker\.yaml:\d+:\d+: load\.engine/);
    expect(r.stderr).toMatch(/^hint: install k6 .*`--runtime docker`.*`engine: builtin`/m);
    // Nothing started: no reaper, no process registered, no session.
    expect(existsSync(join(stateDir, 'logs', 'reaper.log'))).toBe(false);
    expect(existsSync(join(stateDir, 'session.json'))).toBe(false);
    expect(seconds).toBeLessThan(15);
  }, 60_000);
});

