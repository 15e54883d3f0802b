import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { SandboxError } from '../core/errors.ts';
import { componentRuns, stackEnvForServices, stackView } from './service-env/index.ts';
import { portPlan, services, stackComponents, type PortPlan } from '../stack/catalog.ts';
import { discoveryFiles, type TargetAddressing } from '../stack/scrape-targets.ts';
import { AttachedRuntime, type AttachTarget } from './attached/attached-runtime.ts';
import { attachTargetsFile, ATTACH_JOBS, removeAttachTargets, writeAttachTargets } from './attached/targets.ts';
import { attachTokenFile, removeAttachToken, writeAttachToken } from './attached/token-file.ts';
import { copyComponentConfig, rewriteBaseUrls, writeTargets } from './config/render.ts';
import { writeAlertmanagerLogin } from './config/alertmanager-auth.ts';
import { renderAlertmanagerReceiversFile } from './config/alertmanager-receivers.ts';
import { renderRunbookLinksIn } from './config/runbook-links.ts';
import { createControlApi, statusDocument, type StatusDocument } from './control-api.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { PidRegistry } from './processes/pid-registry.ts';
import { assertPortsFree } from './processes/ports.ts';
import { prepareSandboxLauncher } from './processes/host-entries.ts';
import { Reaper } from './processes/reaper.ts';
import { scaleService } from './scaling.ts';
import { selectRuntime, type RuntimeChoice } from './select-runtime.ts';
import { Supervisor } from './supervisor.ts';
import { clearSessionInfo, readSessionState, stateLayout, writeSessionInfo, type SessionInfo, type SessionState, type StateLayout } from './state.ts';
import type { StackPlan, StackRuntime } from './types.ts';
import { reapContainers } from './docker/reap-containers.ts';
import { allSettledOrThrow } from '../core/settle.ts';
import { ControlApiError, ControlClient } from '../core/control-client.ts';
import { ALLOWED_HOSTS_ENV, type GuardPolicy } from '../core/control-guard.ts';
import { addReceiverAuthorizationFile } from './config/alertmanager-receivers.ts';
import { identityOf, isSameProcess, type ProcessIdentity } from './processes/identity.ts';
import { reapStateDir, type ReapReport } from './processes/reap.ts';
import { readLock, StateLock, type LockOwner, type LockState } from './state-lock.ts';
import { reloadPrometheus, resetPrometheus } from './stack-actions.ts';

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
  /** Ctrl-C during the start: stop what started so far and throw INTERRUPTED. */
  signal?: AbortSignal;
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
    private readonly lock: StateLock,
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
      if (this.runtime instanceof AttachedRuntime) removeAttachToken(this.layout.root);
      await this.reaper.release();
      clearSessionInfo(this.layout);
      // Last: until here a new owner must not start reaping what this one still stops.
      this.lock.release();
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** What a state dir holds now, without touching anything: who owns it, whether its session runs. */
export interface StateInspection {
  session: SessionState;
  lock: LockState;
  /** The live owner of the state dir (a sandbox host, running or still starting), if any. */
  liveOwner: (ProcessIdentity & { purpose: string; session?: string }) | null;
  /** The running session: session.json intact and written by the live owner. */
  running: SessionInfo | null;
  /** What is damaged or stale, each with what was found. */
  problems: string[];
}

export function inspectState(layout: StateLayout): StateInspection {
  const session = readSessionState(layout);
  const lock = readLock(layout.lockFile);
  const problems: string[] = [];
  if (session.kind === 'damaged') problems.push(session.reason);
  if (lock.state === 'damaged') problems.push(`the owner lock is damaged: ${lock.reason}`);
  let liveOwner: StateInspection['liveOwner'] = null;
  if (lock.state === 'held') liveOwner = lock.owner;
  else if (session.kind === 'ok' && isSameProcess({ pid: session.info.hostPid, startTicks: session.info.hostStartTicks ?? null })) {
    // A lock lost to damage: session.json still names its host, and that host still runs.
    liveOwner = { pid: session.info.hostPid, startTicks: session.info.hostStartTicks ?? null, purpose: 'sandbox host', session: session.info.session };
  }
  if (lock.state === 'stale') problems.push(`the owner lock names pid ${lock.owner.pid} (${lock.owner.purpose}), which is no longer running`);
  if (session.kind === 'ok' && !liveOwner) {
    problems.push(`session.json records session ${session.info.session} with host pid ${session.info.hostPid}, which is no longer running`);
  }
  const running = session.kind === 'ok' && liveOwner !== null && liveOwner.pid === session.info.hostPid ? session.info : null;
  return { session, lock, liveOwner, running, problems };
}

/** What a reap found and removed in one state dir and its shards. */
export interface StaleReport extends ReapReport {
  /** Processes, containers and networks reaped in parallel shards (shards/<n>). */
  shards: number;
  /** Containers and networks labelled with the state dir (docker runtime). */
  containers: number;
}

/**
 * Clean up after a sandbox whose owner is gone (a killed CLI): every process that belongs to the
 * state dir (its pid registry, and the owner mark in each process's environment, so a damaged
 * pid file hides nothing), its containers and networks by the state dir's label (found with or
 * without a readable session.json), the attach targets files a team's Prometheus reads, and its
 * session file. The caller holds the state dir's lock (a starting sandbox, `down`): nothing can
 * start in it meanwhile. Parallel shards of a killed `sandbox test` (shards/<n>) are reaped under
 * their own locks, unless they have a live owner.
 */
export async function reapStale(layout: StateLayout): Promise<StaleReport> {
  let shards = 0;
  for (const shard of shardLayouts(layout)) {
    let lock: StateLock;
    try {
      lock = StateLock.acquire(shard.lockFile, 'reap a stale shard');
    } catch {
      continue; // a live shard (another `sandbox test` owns it)
    }
    try {
      shards += reapedCount(await reapStale(shard));
    } finally {
      lock.release();
    }
  }
  const report = await reapStateDir(new PidRegistry(layout.pidsDir));
  const containers = await reapContainers(layout.root);
  clearSessionInfo(layout);
  // Discovery files and the token file a killed attached sandbox left for the team's stack.
  removeAttachTargets(layout.root);
  removeAttachToken(layout.root);
  return { ...report, shards, containers };
}

/** How much a reap stopped and removed: processes, containers and networks, shards included. */
export function reapedCount(r: StaleReport): number {
  return r.reaped.length + r.unregistered.length + r.shards + r.containers;
}

/** State layouts of the parallel shards a `sandbox test --parallel` keeps under this one. */
export function shardLayouts(layout: StateLayout): StateLayout[] {
  const dir = join(layout.root, 'shards');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d+$/.test(n))
    .map((n) => stateLayout(join(dir, n)));
}

/**
 * Whether the control API at the recorded URL is this very session: it must accept the
 * session's token and name the session. A sandbox that took the port since (a stale
 * session.json) answers 401 or another session id: it is never this one.
 */
export async function verifySession(info: SessionInfo): Promise<{ ok: true; status: StatusDocument } | { ok: false; why: string }> {
  let reply;
  try {
    reply = await new ControlClient(info.controlUrl, info.chaosToken, 3000).call('GET', '/status');
  } catch (e) {
    return { ok: false, why: `nothing answers at ${info.controlUrl} (${(e as ControlApiError).reason})` };
  }
  if (reply.status === 401) return { ok: false, why: `${info.controlUrl} belongs to another sandbox (it refuses this session's token)` };
  if (!reply.ok) return { ok: false, why: `${info.controlUrl} answers HTTP ${reply.status}` };
  let status: StatusDocument;
  try {
    status = reply.json<StatusDocument>();
  } catch {
    return { ok: false, why: `${info.controlUrl} does not answer like a sandbox` };
  }
  if (status?.session !== info.session) return { ok: false, why: `${info.controlUrl} runs session ${JSON.stringify(status?.session)}, not ${info.session}` };
  return { ok: true, status };
}

/** The session running from this state dir: a live owner, intact session.json, and its control API answering as that session. */
export async function runningSession(layout: StateLayout): Promise<SessionInfo | null> {
  const state = inspectState(layout);
  if (!state.running) return null;
  return (await verifySession(state.running)).ok ? state.running : null;
}

export async function startSandbox(options: StartOptions): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const layout = stateLayout(options.stateDir);
  mkdirSync(layout.logsDir, { recursive: true });
  // Host processes start from an esbuild build of their entries (reused while no source changed);
  // built meanwhile, it is awaited before the first host process starts. On failure: tsx.
  const launching = prepareSandboxLauncher();

  const session = randomBytes(6).toString('hex');
  // One owner per state dir, before anything else: a second `up` must not reap what this one
  // is starting. A lock left by a killed owner is taken over.
  const lock = StateLock.acquire(layout.lockFile, 'sandbox host', {
    session,
    refusal: (owner) => {
      const running = inspectState(layout).running;
      return new SandboxError(
        'SANDBOX_ALREADY_RUNNING',
        `a sandbox ${running ? 'is already running' : 'is starting'} from ${layout.root} (pid ${owner.pid}, since ${owner.acquiredAt}${running ? `, ${running.controlUrl}` : ''})`,
        { hint: 'use it (`npx sandbox status`, `npx sandbox run ...`), or stop it with `npx sandbox down`; a second sandbox needs its own --state-dir and --port-offset' },
      );
    },
  });
  let started = false;
  try {
    if (lock.replaced) log(`took over ${layout.root}: it held ${lock.replaced}`);
    const sandbox = await startLocked(options, layout, session, lock, log, launching);
    started = true;
    return sandbox;
  } finally {
    if (!started) lock.release();
  }
}

async function startLocked(
  options: StartOptions,
  layout: StateLayout,
  session: string,
  lock: StateLock,
  log: (line: string) => void,
  launching: ReturnType<typeof prepareSandboxLauncher>,
): Promise<Sandbox> {
  const interrupted = () => {
    if (options.signal?.aborted) throw new SandboxError('INTERRUPTED', 'interrupted while the sandbox was starting; everything it had started is stopped');
  };
  interrupted();
  const stale = await reapStale(layout);
  for (const d of stale.damaged) log(`damaged pid file ${d.file}: ${d.reason}`);
  if (reapedCount(stale) > 0) log(`reaped ${reapedCount(stale)} process(es) left behind by an earlier sandbox`);

  const ports = portPlan(options.portOffset ?? 0);

  const registry = new PidRegistry(layout.pidsDir);
  const labels = { 'org.observability-sandbox.session': session, 'org.observability-sandbox.state-dir': layout.root };
  const selection = options.attach
    ? { runtime: new AttachedRuntime(options.attach) as StackRuntime, reason: `attached to Prometheus ${options.attach.prometheusUrl} and Alertmanager ${options.attach.alertmanagerUrl}` }
    : await selectRuntime(options.runtime ?? 'auto', { registry, session, labels, log });
  const runtime = selection.runtime;
  log(`runtime: ${runtime.name} (${selection.reason})`);
  const chaosToken = randomBytes(32).toString('hex');
  const stackPlan: StackPlan = {
    components: stackComponents,
    hostPort: (c, p) => ports.stack(c, p),
    configDir: layout.configDir,
    dataDir: layout.dataDir,
    logFile: layout.logFile,
    labels,
    leftOut: options.without ?? new Set(),
    // The stack's login (Alertmanager's): the session's token, as for every control surface.
    stackPassword: chaosToken,
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

  const controlUrl = `http://127.0.0.1:${ports.control}`;
  // Besides loopback, the name containers use for this machine (docker), where it is not loopback.
  const extraHosts = isLoopbackName(runtime.hostAddress) ? [] : [runtime.hostAddress];
  const guard: GuardPolicy = { token: chaosToken, extraHosts };
  const launcher = await launching;
  if (launcher.reason && launcher.reason !== 'SANDBOX_HOST_BUILD=0') log(`host processes run under tsx (slower start): ${launcher.reason}`);
  const reaper = Reaper.start(layout.pidsDir, session, join(layout.logsDir, 'reaper.log'), launcher, {
    // Attached, the team's Prometheus and Alertmanager read these: gone with the sandbox, even a killed one.
    removeFiles: runtime.name === 'attached' ? [...ATTACH_JOBS.map((job) => attachTargetsFile(layout.root, job)), attachTokenFile(layout.root)] : [],
  });
  // Docker: its containers and network go with the processes if this host is killed.
  const leftovers = runtime.leftoversOnDeath?.();
  if (leftovers) reaper.removeOnDeath(leftovers);
  const supervisor: Supervisor = new Supervisor({
    projectRoot: PROJECT_ROOT,
    launcher,
    registry,
    session,
    logDir: layout.logsDir,
    commonEnv: {
      CHAOS_TOKEN: chaosToken,
      SANDBOX_STATE_DIR: layout.root,
      ...(extraHosts.length > 0 ? { [ALLOWED_HOSTS_ENV]: extraHosts.join(',') } : {}),
      ...stackEnvForServices(stackView(runtime, ports)),
    },
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
    reloadStack: (component) => reloadPrometheus(runtime, component, layout),
    resetStack: (component) => resetPrometheus(runtime, component),
    guard,
  });

  const info: SessionInfo = {
    session,
    runtime: runtime.name,
    hostPid: process.pid,
    hostStartTicks: identityOf(process.pid).startTicks,
    controlUrl,
    portOffset: ports.offset,
    startedAt: new Date().toISOString(),
    detached: options.detached ?? false,
    chaosToken,
    remediation: options.remediation ?? true,
  };
  const sandbox = new Sandbox(info, layout, ports, runtime, supervisor, control, reaper, selection.reason, lock);
  try {
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(ports.control, '127.0.0.1', () => resolve());
    });
    interrupted();
    prepareStackConfig(layout, ports, runtime, chaosToken);
    // Both halves finish (or fail) before a failure stops the sandbox, so nothing starts after the stop.
    await allSettledOrThrow<unknown>([
      runtime.start(stackPlan),
      supervisor.startAll(services),
    ]);
    interrupted();
    writeSessionInfo(layout, info);
    return sandbox;
  } catch (e) {
    await sandbox.stop().catch(() => undefined);
    throw e;
  }
}

/** Render compose/<x>/ into the state dir and write discovery files for this runtime and port plan. */
function prepareStackConfig(layout: StateLayout, ports: PortPlan, runtime: StackRuntime, token: string): void {
  // Rendered configuration carries the session token (alertmanager.yml): the stack directory is
  // its owner's alone, whatever the umask, so no other user of the machine can reach into it.
  const stackRoot = dirname(layout.stackDir('prometheus'));
  mkdirSync(stackRoot, { recursive: true });
  chmodSync(stackRoot, 0o700);
  for (const c of stackComponents) copyComponentConfig(join(PROJECT_ROOT, c.configSource), layout.configDir(c.name));
  const prom = layout.configDir('prometheus');
  mkdirSync(join(prom, 'scenario-rules'), { recursive: true });
  // Runbook links are for people: the control API as the host's browser reaches it, in every runtime.
  renderRunbookLinksIn(join(prom, 'rules'), `http://127.0.0.1:${ports.control}`);
  const host = runtime.hostAddress;
  const files = discoveryFiles(targetAddressing(ports, runtime));
  for (const [job, groups] of Object.entries(files)) writeTargets(prom, job, groups);
  if (runtime.name === 'attached') {
    writeAttachTargets(layout.root, files);
    // The team's Alertmanager sends it to the sink and the controller (credentials_file).
    writeAttachToken(layout.root, token);
  }
  rewriteBaseUrls(
    join(layout.configDir('alertmanager'), 'alertmanager.yml'),
    new Map(
      services
        .filter((s) => s.role === 'platform')
        .map((s) => [`http://127.0.0.1:${s.port}`, `http://${host}:${ports.service(s.name)}`] as const),
    ),
  );
  const amFile = join(layout.configDir('alertmanager'), 'alertmanager.yml');
  // Files holding the token: a container reads them as its image's user (nobody), through the
  // bind mount or a copy; natively they are the owner's alone.
  const secretMode = runtime.name === 'docker' ? 0o644 : 0o600;
  renderAlertmanagerReceiversFile(amFile, componentRuns(runtime, 'localstack') ? peer(runtime, ports, 'localstack') : null);
  // The sink and the controller take the session's token; Alertmanager sends it (0600 file).
  addReceiverAuthorizationFile(
    amFile,
    services.filter((s) => s.role === 'platform').map((s) => `http://${host}:${ports.service(s.name)}`),
    token,
    secretMode,
  );
  // Alertmanager asks for the stack's login; Prometheus gives it. An attached one is the team's.
  if (runtime.name !== 'attached') writeAlertmanagerLogin(layout.configDir('alertmanager'), prom, token, secretMode);
}

function isLoopbackName(host: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host.toLowerCase());
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
