import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { copyComponentConfig, writeTargets } from '../runtime/config/render.ts';
import { NativeRuntime } from '../runtime/native/native-runtime.ts';
import { PidRegistry } from '../runtime/processes/pid-registry.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { startSandbox } from '../runtime/session.ts';
import { stateLayout } from '../runtime/state.ts';
import { portPlan, stackComponents } from '../stack/catalog.ts';
import { median } from './stats.ts';

const OFFSET = 30_000;

/** Reference: Prometheus alone, from spawn to /-/ready, on this machine in this run. */
export async function prometheusAloneMs(runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const layout = stateLayout(mkdtempSync(join(tmpdir(), 'bench-prom-')));
    const prom = stackComponents.find((c) => c.name === 'prometheus')!;
    copyComponentConfig(join(PROJECT_ROOT, prom.configSource), layout.configDir('prometheus'));
    for (const job of ['prometheus', 'alertmanager', 'alertmanagers', 'sample-services', 'sandbox', 'blackbox', 'blackbox-exporter']) writeTargets(layout.configDir('prometheus'), job, []);
    const runtime = new NativeRuntime(new PidRegistry(layout.pidsDir), 'bench');
    const ports = portPlan(OFFSET);
    const t0 = performance.now();
    await runtime.start({ components: [prom], hostPort: (c, p) => ports.stack(c, p), configDir: layout.configDir, dataDir: layout.dataDir, logFile: layout.logFile, labels: {} });
    times.push(performance.now() - t0);
    await runtime.stop();
  }
  return median(times);
}

/** The whole native sandbox, in-process: startSandbox() until every component is ready. */
export async function sandboxColdStartMs(runs: number): Promise<{ median: number; rssMiB: number }> {
  const times: number[] = [];
  let rssMiB = 0;
  for (let i = 0; i < runs; i++) {
    const stateDir = mkdtempSync(join(tmpdir(), 'bench-sandbox-'));
    const t0 = performance.now();
    const sandbox = await startSandbox({ runtime: 'native', stateDir, portOffset: OFFSET });
    times.push(performance.now() - t0);
    rssMiB = totalRssMiB(new PidRegistry(stateLayout(stateDir).pidsDir).entries().map((e) => e.pid));
    await sandbox.stop();
  }
  return { median: median(times), rssMiB };
}

/** What a user waits for: `sandbox up --detach` from the shell until it returns with all ready. */
export async function cliColdStartMs(runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const env = { ...process.env, SANDBOX_STATE_DIR: mkdtempSync(join(tmpdir(), 'bench-cli-')), SANDBOX_PORT_OFFSET: String(OFFSET) };
    const t0 = performance.now();
    await $({ env, quiet: true })`node ${join(PROJECT_ROOT, 'bin/sandbox.mjs')} up --detach --runtime native`;
    times.push(performance.now() - t0);
    await $({ env, quiet: true })`node ${join(PROJECT_ROOT, 'bin/sandbox.mjs')} down`;
  }
  return median(times);
}

/** `sandbox --version` from the shell: the CLI's own start (Node plus the built CLI), nothing else. */
export async function cliVersionMs(runs: number): Promise<number> {
  const times: number[] = [];
  // One unmeasured run: a checkout builds the CLI on first use (an installed package ships it built).
  await $({ quiet: true })`node ${join(PROJECT_ROOT, 'bin/sandbox.mjs')} --version`;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await $({ quiet: true })`node ${join(PROJECT_ROOT, 'bin/sandbox.mjs')} --version`;
    times.push(performance.now() - t0);
  }
  return median(times);
}

function totalRssMiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return Math.round(kib / 1024);
}
