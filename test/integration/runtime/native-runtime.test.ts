import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSandboxError, SandboxError } from '../../../scripts/core/errors.ts';
import { NativeRuntime } from '../../../scripts/runtime/native/native-runtime.ts';
import { isAlive, PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { assertPortsFree, isPortFree } from '../../../scripts/runtime/processes/ports.ts';
import { writeAlertmanagerLogin } from '../../../scripts/runtime/config/alertmanager-auth.ts';
import { copyComponentConfig, writeTargets } from '../../../scripts/runtime/config/render.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { stateLayout } from '../../../scripts/runtime/state.ts';
import type { StackPlan } from '../../../scripts/runtime/types.ts';
import { findStackComponent, portPlan, stackComponents } from '../../../scripts/stack/catalog.ts';
import { readinessHeaders } from '../../../scripts/stack/stack-auth.ts';
import type { StackComponentSpec } from '../../../scripts/stack/types.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';
import { waitForFirstScrape } from '../../../scripts/scenario/prepare.ts';

const runtimes: NativeRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

async function planFor(components: readonly StackComponentSpec[]): Promise<{ plan: StackPlan; registry: PidRegistry; runtime: NativeRuntime }> {
  const { stateDir, portOffset } = await isolatedSandbox('native-runtime-');
  const layout = stateLayout(stateDir);
  const ports = portPlan(portOffset);
  for (const c of stackComponents) copyComponentConfig(join(PROJECT_ROOT, c.configSource), layout.configDir(c.name));
  for (const job of ['prometheus', 'alertmanager', 'alertmanagers', 'sample-services', 'sandbox']) writeTargets(layout.configDir('prometheus'), job, []);
  // Alertmanager's login, as the session writes it.
  writeAlertmanagerLogin(layout.configDir('alertmanager'), layout.configDir('prometheus'), 'native-runtime-test', 0o600);
  const registry = new PidRegistry(layout.pidsDir);
  const runtime = new NativeRuntime(registry, 'test');
  runtimes.push(runtime);
  const plan: StackPlan = {
    components,
    hostPort: (c, p) => (components.find((x) => x.name === c)!.ports[p]! + portOffset),
    configDir: layout.configDir,
    dataDir: layout.dataDir,
    logFile: layout.logFile,
    labels: {},
    stackPassword: 'native-runtime-test',
  };
  return { plan, registry, runtime };
}

async function rejection(p: Promise<unknown>): Promise<SandboxError> {
  try {
    await p;
  } catch (e) {
    if (isSandboxError(e)) return e;
    throw e;
  }
  throw new Error('expected a SandboxError');
}

describe('native runtime', () => {
  it('starts Prometheus and Alertmanager, reports them ready, stops them and empties the pid registry', async () => {
    const { plan, registry, runtime } = await planFor(stackComponents.filter((c) => c.name === 'prometheus' || c.name === 'alertmanager'));
    const status = await runtime.start(plan);
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['alertmanager', 'ready'],
      ['prometheus', 'ready'],
    ]);
    for (const s of status) {
      const res = await fetch(`${s.url}/-/ready`, { headers: readinessHeaders(findStackComponent(s.name)!, 'native-runtime-test') });
      expect(res.status).toBe(200);
    }
    // Alertmanager asks for its login, readiness included; the runtime's probe gave it.
    expect((await fetch(`${status.find((s) => s.name === 'alertmanager')!.url}/-/ready`)).status).toBe(401);
    const pids = status.map((s) => s.pid!);
    expect(registry.entries().map((e) => e.pid).sort()).toEqual([...pids].sort());
    await runtime.stop();
    expect(pids.every((p) => !isAlive(p))).toBe(true);
    expect(registry.entries()).toEqual([]);
    expect(runtime.status().every((s) => s.state === 'stopped')).toBe(true);
  });

  it('a fresh Prometheus has no sample when it is ready; waitForFirstScrape returns once every target has one', async () => {
    const { plan, runtime } = await planFor(stackComponents.filter((c) => c.name === 'prometheus'));
    // Prometheus scrapes itself as the "sample service": any /metrics answers.
    const self = `127.0.0.1:${plan.hostPort('prometheus', 'http')}`;
    writeTargets(plan.configDir('prometheus'), 'sample-services', [{ targets: [self], labels: { service: 'self' } }]);
    const [status] = await runtime.start(plan);
    const url = status!.url!;
    const samples = async () => ((await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent('up{job="sample-services"}')}`)).json()) as { data: { result: unknown[] } }).data.result.length;
    const t0 = performance.now();
    // Ready is not scraping: targets reach the scrape loops on Prometheus' 5 s discovery tick.
    expect(await samples()).toBe(0);
    const at = await waitForFirstScrape(url);
    expect(await samples()).toBe(1);
    expect(at - t0).toBeGreaterThan(1000);
  });

  it('names the component, the URL and the last log lines when readiness times out', async () => {
    const script = join(mkdtempSync(join(tmpdir(), 'never-ready-')), 'never-ready.sh');
    writeFileSync(script, '#!/bin/sh\necho "starting up slowly"\necho "still loading the TSDB"\nexec sleep 60\n', { mode: 0o755 });
    const neverReady: StackComponentSpec = {
      ...stackComponents.find((c) => c.name === 'prometheus')!,
      name: 'slowpoke',
      binaries: [script],
      args: () => [],
      readiness: { port: 'http', path: '/-/ready', timeoutMs: 1500 },
    };
    const { plan, registry, runtime } = await planFor([neverReady]);
    const e = await rejection(runtime.start(plan));
    expect(e.code).toBe('READINESS_TIMEOUT');
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/^slowpoke did not become ready within 1\.5s \(http:\/\/127\.0\.0\.1:\d+\/-\/ready: .+\)$/);
    expect(e.details).toEqual(['last log lines of slowpoke:', '  | starting up slowly', '  | still loading the TSDB']);
    expect(e.hint).toMatch(/slowpoke\.log/);
    await runtime.stop();
    expect(registry.entries()).toEqual([]);
  });

  it('says when a component dies before it is ready, with its exit code', async () => {
    const dying: StackComponentSpec = {
      ...stackComponents.find((c) => c.name === 'prometheus')!,
      name: 'broken-prometheus',
      args: () => ['--config.file=/nonexistent/prometheus.yml'],
    };
    const { plan, runtime } = await planFor([dying]);
    const e = await rejection(runtime.start(plan));
    expect(e.code).toBe('COMPONENT_DIED');
    expect(e.message).toMatch(/^broken-prometheus exited before it became ready \(exit code \d+\)$/);
    expect(e.details.join('\n')).toMatch(/nonexistent/);
  });

  it('fails with what to install when a required binary is missing, and marks it unavailable', async () => {
    const missing: StackComponentSpec = { ...stackComponents.find((c) => c.name === 'alertmanager')!, binaries: ['no-such-alertmanager'] };
    const { plan, runtime } = await planFor([missing]);
    const e = await rejection(runtime.start(plan));
    expect(e.code).toBe('BINARY_MISSING');
    expect(e.details[0]).toMatch(/alertmanager: no no-such-alertmanager binary on PATH; install Alertmanager \(Debian\/Ubuntu: `sudo apt-get install prometheus-alertmanager`/);
    expect(runtime.status()).toEqual([expect.objectContaining({ name: 'alertmanager', state: 'unavailable' })]);
  });

  it('reports an optional component without a binary as unavailable and starts the rest', async () => {
    const optional: StackComponentSpec = { ...stackComponents.find((c) => c.name === 'alertmanager')!, name: 'grafana-like', binaries: ['no-such-grafana'], optional: true, installHint: 'get it from grafana.com' };
    const { plan, runtime } = await planFor([optional, stackComponents.find((c) => c.name === 'prometheus')!]);
    const status = await runtime.start(plan);
    expect(status.find((s) => s.name === 'grafana-like')).toMatchObject({ state: 'unavailable', hint: 'get it from grafana.com' });
    expect(status.find((s) => s.name === 'prometheus')).toMatchObject({ state: 'ready' });
  });
});

describe('port checks', () => {
  it('names the busy port, its intended owner and the process holding it', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await isPortFree(port)).toBe(false);
      const e = await rejection(assertPortsFree([{ owner: 'prometheus (http)', port }]));
      expect(e.code).toBe('PORT_IN_USE');
      // comm is the process title, which vitest changes; the pid is what identifies the holder.
      expect(e.message).toMatch(new RegExp(`^port ${port} \\(for prometheus \\(http\\)\\) is in use by pid ${process.pid} \\(.+\\)$`));
      expect(e.hint).toMatch(/SANDBOX_PORT_OFFSET/);
    } finally {
      server.close();
    }
  });
});
