import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { SandboxError } from '../core/errors.ts';
import { componentRuns, stackEnvForServices, stackView } from './service-env/index.ts';
import { portPlan, services, stackComponents, type PortPlan } from '../stack/catalog.ts';
import { discoveryFiles, type TargetAddressing } from '../stack/scrape-targets.ts';
import { AttachedRuntime, type AttachTarget } from './attached/attached-runtime.ts';
import { attachTargetsFile, ATTACH_JOBS, removeAttachTargets, writeAttachTargets } from './attached/targets.ts';
import { copyComponentConfig, rewriteBaseUrls, writeTargets } from './config/render.ts';
import { renderAlertmanagerReceiversFile } from './config/alertmanager-receivers.ts';
import { renderRunbookLinksIn } from './config/runbook-links.ts';
import { createControlApi, statusDocument, type StatusDocument } from './control-api.ts';
import { PROJECT_ROOT } from './paths.ts';
import { PidRegistry } from './processes/pid-registry.ts';
import { assertPortsFree } from './processes/ports.ts';
import { reapRegistry } from './processes/reap.ts';
import { prepareSandboxLauncher } from './processes/host-entries.ts';
import { Reaper } from './processes/reaper.ts';
import { scaleService } from './scaling.ts';
import { selectRuntime, type RuntimeChoice } from './select-runtime.ts';
import { Supervisor } from './supervisor.ts';
import { clearSessionInfo, readSessionInfo, stateLayout, writeSessionInfo, type SessionInfo, type StateLayout } from './state.ts';
import type { StackPlan, StackRuntime } from './types.ts';
import { reapContainers } from './docker/reap-containers.ts';
import { allSettledOrThrow } from '../core/settle.ts';

export { PROJECT_ROOT };

export interface StartOptions {
  runtime?: RuntimeChoice;
  stateDir: string;
  portOffset?: number;
  /** false: the remediation controller observes and records but acts on nothing. */
  remediation?: boolean;
  detached?: boolean;
  log?: (line: string) => void;
  /** Use a Prometheus and Alertmanager the team already runs instead of starting any. */
  attach?: AttachTarget;
  /** Optional stack components left out (`--without`), in either runtime. */
  without?: ReadonlySet<string>;
}

/** A running sandbox, owned by this process. `await using` stops it. */
export class Sandbox implements AsyncDisposable {
  private stopping: Promise<void> | undefined;

  constructor(
    readonly info: SessionInfo,
    readonly layout: StateLayout,
    readonly ports: PortPlan,
    readonly runtime: StackRuntime,
    readonly supervisor: Supervisor,
    private readonly control: Server,
    private readonly reaper: Reaper,
    readonly runtimeReason: string,
  ) {}

  status(): StatusDocument {
    return statusDocument({
      runtime: this.runtime.name,
      session: this.info.session,
      supervisor: this.supervisor,
      stackStatus: () => this.runtime.status(),
    });
  }

  /** Stops services, then the stack, then tells the reaper it has nothing to do. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await new Promise<void>((r) => this.control.close(() => r()));
      this.control.closeAllConnections();
      // Attached: the team's Prometheus drops the targets before they go down, so it does not
      // alert (and page through its Alertmanager) on a sandbox that merely stopped.
      if (this.runtime instanceof AttachedRuntime) await this.runtime.withdrawTargets(this.layout.root);
      await this.supervisor.stopAll();
      await this.runtime.stop();
      this.reaper.release();
      clearSessionInfo(this.layout);
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Clean up after a sandbox whose host is gone (killed CLI): its processes, via the pid
 * registry, and its session file. Refuses when a live sandbox owns the state dir.
 */
export async function reapStale(layout: StateLayout): Promise<{ reaped: number; running: SessionInfo | null }> {
  // Parallel shards of a killed `sandbox test` live under shards/<n>; reap those first.
  let shardReaped = 0;
  for (const shard of shardLayouts(layout)) {
    const r = await reapStale(shard);
    shardReaped += r.reaped;
  }
  const info = readSessionInfo(layout);
  if (info && (await controlAnswers(info.controlUrl))) return { reaped: shardReaped, running: info };
  const reaped = await reapRegistry(new PidRegistry(layout.pidsDir));
  // Containers by the state dir's label: found even when session.json is missing or damaged.
  const containers = await reapContainers(layout.root);
  if (info) clearSessionInfo(layout);
  // Discovery files a killed attached sandbox left for the team's Prometheus.
  removeAttachTargets(layout.root);
  return { reaped: reaped.length + shardReaped + containers, running: null };
}

/** State layouts of the parallel shards a `sandbox test --parallel` keeps under this one. */
export function shardLayouts(layout: StateLayout): StateLayout[] {
  const dir = join(layout.root, 'shards');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d+$/.test(n))
    .map((n) => stateLayout(join(dir, n)));
}

export async function controlAnswers(controlUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${controlUrl}/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export async function startSandbox(options: StartOptions): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const layout = stateLayout(options.stateDir);
  mkdirSync(layout.logsDir, { recursive: true });
  // Host processes start from an esbuild build of their entries (reused while no source changed);
  // built meanwhile, it is awaited before the first host process starts. On failure: tsx.
  const launching = prepareSandboxLauncher();

  const stale = await reapStale(layout);
  if (stale.running) {
    throw new SandboxError('SANDBOX_ALREADY_RUNNING', `a sandbox is already running from ${layout.root} (pid ${stale.running.hostPid}, ${stale.running.controlUrl})`, {
      hint: 'use it (`npx sandbox status`, `npx sandbox run ...`), or stop it with `npx sandbox down`',
    });
  }
  if (stale.reaped > 0) log(`reaped ${stale.reaped} process(es) left behind by an earlier sandbox`);

  const ports = portPlan(options.portOffset ?? 0);

  const session = randomBytes(6).toString('hex');
  const registry = new PidRegistry(layout.pidsDir);
  const labels = { 'org.observability-sandbox.session': session, 'org.observability-sandbox.state-dir': layout.root };
  const selection = options.attach
    ? { runtime: new AttachedRuntime(options.attach) as StackRuntime, reason: `attached to Prometheus ${options.attach.prometheusUrl} and Alertmanager ${options.attach.alertmanagerUrl}` }
    : await selectRuntime(options.runtime ?? 'auto', { registry, session, labels, log });
  const runtime = selection.runtime;
  log(`runtime: ${runtime.name} (${selection.reason})`);
  const stackPlan: StackPlan = {
    components: stackComponents,
    hostPort: (c, p) => ports.stack(c, p),
    configDir: layout.configDir,
    dataDir: layout.dataDir,
    logFile: layout.logFile,
    labels,
    leftOut: options.without ?? new Set(),
  };
  // From here on the runtime knows what it will run (docker: images pulled, or unavailable).
  await runtime.prepare(stackPlan);
  // Only ports something will listen on must be free: not those of components this runtime
  // cannot run (no native binary), nor, attached, the team's Prometheus and Alertmanager.
  const idle = new Set(
    stackComponents
      .filter((c) => !componentRuns(runtime, c.name))
      .flatMap((c) => Object.keys(c.ports).map((n) => `${c.name} (${n})`)),
  );
  await assertPortsFree(ports.all().filter((p) => !idle.has(p.owner)));

  const chaosToken = randomBytes(16).toString('hex');
  const controlUrl = `http://127.0.0.1:${ports.control}`;
  const launcher = await launching;
  if (launcher.reason && launcher.reason !== 'SANDBOX_HOST_BUILD=0') log(`host processes run under tsx (slower start): ${launcher.reason}`);
  const reaper = Reaper.start(layout.pidsDir, session, join(layout.logsDir, 'reaper.log'), launcher, {
    // Attached, the team's Prometheus reads these: gone with the sandbox, even a killed one.
    removeFiles: runtime.name === 'attached' ? ATTACH_JOBS.map((job) => attachTargetsFile(layout.root, job)) : [],
  });
  const supervisor: Supervisor = new Supervisor({
    projectRoot: PROJECT_ROOT,
    launcher,
    registry,
    session,
    logDir: layout.logsDir,
    commonEnv: { CHAOS_TOKEN: chaosToken, SANDBOX_STATE_DIR: layout.root, ...stackEnvForServices(stackView(runtime, ports)) },
    port: (spec) => ports.service(spec.name),
    replicaPort: (spec, index) => ports.replicas(spec.name).find((r) => r.index === index)!.port,
    env: (spec) => ({
      ...spec.env({
        urlOf: (name) => (name === 'sandbox' ? controlUrl : `http://127.0.0.1:${ports.service(name)}`),
        // Read at each launch: a service started while another is scaled out sees every instance.
        instanceUrlsOf: (name) => supervisor.instanceUrls(name),
        stateDir: layout.root,
      }),
      // Attached, the team's long-lived Alertmanager may still deliver alerts about an earlier
      // sandbox on these ports: the controller acts on nothing until a scenario's reset says so.
      ...(spec.name === 'remediation-controller' && (options.remediation === false || options.attach) ? { REMEDIATION_DRY_RUN: '1' } : {}),
    }),
  });
  const control = createControlApi({
    runtime: runtime.name,
    session,
    supervisor,
    stackStatus: () => runtime.status(),
    projectRoot: PROJECT_ROOT,
    scale: (name, replicas) =>
      scaleService({ supervisor, chaosToken, writeTargets: () => writeServiceTargets(layout, ports, runtime, supervisor) }, name, replicas),
    shutdown: () => process.kill(process.pid, 'SIGTERM'),
  });

  const info: SessionInfo = {
    session,
    runtime: runtime.name,
    hostPid: process.pid,
    controlUrl,
    portOffset: ports.offset,
    startedAt: new Date().toISOString(),
    detached: options.detached ?? false,
    chaosToken,
    remediation: options.remediation ?? true,
  };
  const sandbox = new Sandbox(info, layout, ports, runtime, supervisor, control, reaper, selection.reason);
  try {
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(ports.control, '127.0.0.1', () => resolve());
    });
    prepareStackConfig(layout, ports, runtime);
    // Both halves finish (or fail) before a failure stops the sandbox, so nothing starts after the stop.
    await allSettledOrThrow<unknown>([
      runtime.start(stackPlan),
      supervisor.startAll(services),
    ]);
    writeSessionInfo(layout, info);
    return sandbox;
  } catch (e) {
    await sandbox.stop().catch(() => undefined);
    throw e;
  }
}

/** Render compose/<x>/ into the state dir and write discovery files for this runtime and port plan. */
function prepareStackConfig(layout: StateLayout, ports: PortPlan, runtime: StackRuntime): void {
  for (const c of stackComponents) copyComponentConfig(join(PROJECT_ROOT, c.configSource), layout.configDir(c.name));
  const prom = layout.configDir('prometheus');
  mkdirSync(join(prom, 'scenario-rules'), { recursive: true });
  // Runbook links are for people: the control API as the host's browser reaches it, in every runtime.
  renderRunbookLinksIn(join(prom, 'rules'), `http://127.0.0.1:${ports.control}`);
  const host = runtime.hostAddress;
  const files = discoveryFiles(targetAddressing(ports, runtime));
  for (const [job, groups] of Object.entries(files)) writeTargets(prom, job, groups);
  if (runtime.name === 'attached') writeAttachTargets(layout.root, files);
  rewriteBaseUrls(
    join(layout.configDir('alertmanager'), 'alertmanager.yml'),
    new Map(
      services
        .filter((s) => s.role === 'platform')
        .map((s) => [`http://127.0.0.1:${s.port}`, `http://${host}:${ports.service(s.name)}`] as const),
    ),
  );
  renderAlertmanagerReceiversFile(join(layout.configDir('alertmanager'), 'alertmanager.yml'), componentRuns(runtime, 'localstack') ? peer(runtime, ports, 'localstack') : null);
}

function targetAddressing(ports: PortPlan, runtime: StackRuntime, supervisor?: Supervisor): TargetAddressing {
  return {
    host: runtime.hostAddress,
    servicePort: (name) => ports.service(name),
    controlPort: ports.control,
    peer: (component) => peer(runtime, ports, component),
    runs: (component) => componentRuns(runtime, component),
    ...(supervisor ? { replicas: (service: string) => supervisor.replicas(service) } : {}),
  };
}

/**
 * Rewrites the discovery files of the supervised services' jobs after a scale: every replica
 * becomes a target (Prometheus re-reads file_sd within its refresh interval), a removed one
 * stops being scraped.
 */
export function writeServiceTargets(layout: StateLayout, ports: PortPlan, runtime: StackRuntime, supervisor: Supervisor): void {
  const files = discoveryFiles(targetAddressing(ports, runtime, supervisor));
  for (const job of new Set(services.flatMap((s) => (s.scrapeJob ? [s.scrapeJob] : [])))) {
    writeTargets(layout.configDir('prometheus'), job, files[job] ?? []);
  }
  if (runtime.name === 'attached') writeAttachTargets(layout.root, files);
}

function peer(runtime: StackRuntime, ports: PortPlan, component: string): string {
  return runtime.name === 'native' ? `127.0.0.1:${ports.stack(component)}` : runtime.peerAddress(component);
}
