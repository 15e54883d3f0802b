import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { startDetached } from '../engine/detached-sandbox.ts';
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

/** How long after start the idle resident set is read: start-up allocations settled, a few scrapes done. */
const IDLE_AFTER_MS = 3000;

/**
 * The whole native sandbox, in-process: startSandbox() until every component is ready (the
 * cold-start time). The resident set is measured on the real thing instead, not on this
 * process (which runs the bench and tsx): the sandbox a user runs with `up --detach`, a built
 * `sandbox host` process, idle for a few seconds, and every process under it (reaper, sample
 * services, platform receivers, Prometheus, Alertmanager, ...) read from /proc.
 */
export async function sandboxColdStartMs(runs: number): Promise<{ median: number; rssMiB: number; rssByProcess: { name: string; mib: number }[] }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const stateDir = mkdtempSync(join(tmpdir(), 'bench-sandbox-'));
    const t0 = performance.now();
    const sandbox = await startSandbox({ runtime: 'native', stateDir, portOffset: OFFSET });
    times.push(performance.now() - t0);
    await sandbox.stop();
  }
  const rssByProcess = await detachedSandboxRss();
  return { median: median(times), rssMiB: rssByProcess.reduce((a, p) => a + p.mib, 0), rssByProcess };
}

/**
 * Resident set of every process of a sandbox started as `up --detach` starts it (startDetached:
 * the built CLI's `sandbox host`), after IDLE_AFTER_MS: the host and all its descendants, named
 * from the pid registry ("host", "reaper" for the two the registry does not list), plus any
 * registered process that is not a descendant. Stopped with `down` afterwards.
 */
export async function detachedSandboxRss(): Promise<{ name: string; mib: number }[]> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-rss-'));
  const { pid } = await startDetached({ stateDir, portOffset: OFFSET, runtime: 'native', remediation: true });
  try {
    await new Promise((r) => setTimeout(r, IDLE_AFTER_MS));
    const registered = new Map(new PidRegistry(stateLayout(stateDir).pidsDir).entries().map((e) => [e.pid, e.name] as const));
    const tree = descendantsOf(pid);
    const byName = new Map<string, number>();
    const add = (name: string, p: number) => byName.set(name, (byName.get(name) ?? 0) + rssMiB(p));
    for (const p of tree) add(p === pid ? 'host' : (registered.get(p) ?? (cmdlineOf(p).includes('reaper-main') ? 'reaper' : `pid ${p}`)), p);
    for (const [p, name] of registered) if (!tree.includes(p)) add(name, p);
    return [...byName].map(([name, mib]) => ({ name, mib }));
  } finally {
    const env = { ...process.env, SANDBOX_STATE_DIR: stateDir, SANDBOX_PORT_OFFSET: String(OFFSET) };
    await $({ env, quiet: true })`node ${join(PROJECT_ROOT, 'bin/sandbox.mjs')} down`;
  }
}

/** `root` and every process below it (by the parent pid in /proc/<pid>/stat). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** What a user waits for: `sandbox up --detach` from the shell until it returns with all ready. */
export async function cliColdStartMs(runs: number): Promise<number> {
  const times: number[] = [];
  // One unmeasured run of the CLI, as for --version: after a source change a checkout rebuilds the
  // CLI (and its host entry) on first use, which an installed package never does.
  await $({ quiet: true })`node ${join(PROJECT_ROOT, 'bin/sandbox.mjs')} --version`;
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


function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0; // gone
  }
}
