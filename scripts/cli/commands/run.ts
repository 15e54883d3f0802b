import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ExitCode, isSandboxError, SandboxError } from '../../core/errors.ts';
import { createReporters, HTML_REPORT_FILE, JSON_REPORT_FILE, JUNIT_REPORT_FILE, MARKDOWN_REPORT_FILE } from '../../reporters/index.ts';
import { chooseReportDir } from '../../reporters/report-dir.ts';
import { allowedRuleFiles } from '../../scenario/rule-files.ts';
import { connectionFrom } from '../../runtime/connection.ts';
import { parseRuntimeChoice } from '../../runtime/select-runtime.ts';
import { parseWithout } from '../../runtime/components.ts';
import type { AttachTarget } from '../../runtime/attached/attached-runtime.ts';
import { attachBaseUrl } from '../../runtime/attached/base-url.ts';
import { inspectState, startSandbox, type Sandbox } from '../../runtime/session.ts';
import { StateLock } from '../../runtime/state-lock.ts';
import type { StateLayout } from '../../runtime/state.ts';
import { readDetectionConfigFromApi } from '../../scenario/detection-bounds.ts';
import { resolveScenarioArgs } from '../../scenario/discover.ts';
import type { Scenario } from '../../scenario/model.ts';
import type { Reporter, SuiteReport } from '../../scenario/result.ts';
import { prepareScenarios, runSuite } from '../../scenario/suite.ts';
import { nextUsableOffset, portPlan, type PortPlan } from '../../stack/catalog.ts';
import { attachTargetsDir } from '../../runtime/attached/targets.ts';
import { attachTokenFile } from '../../runtime/attached/token-file.ts';
import { alertmanagerConfigText, alertmanagerReceivers, checkAttachedRouting, sinkNamesOf } from '../../scenario/attached/routing.ts';
import { waitForScrapedTargets } from '../../scenario/attached/scrapes.ts';
import { checkLoadEngines } from '../../scenario/load-engines.ts';
import { err, layoutFrom, out, portOffsetFrom, type GlobalOptions } from '../context.ts';

export interface RunOptions extends GlobalOptions {
  runtime: string;
  /** `--without grafana,loki` (default: SANDBOX_WITHOUT). */
  without?: string;
  remediation: boolean;
  reportDir?: string;
  reporter?: string[];
  quiet?: boolean;
  parallel?: string;
  attach?: boolean;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  lokiUrl?: string;
  tempoUrl?: string;
  /** Replace reports an earlier run left in --report-dir. */
  force?: boolean;
  /** Rule files outside the scenarios' directories and the project that scenarios may load. */
  allowRules?: string[];
}

/** --allow-rules as real paths, or INVALID_ARGUMENT naming each bad one. */
export function allowedRulesFrom(opts: Pick<RunOptions, 'allowRules'>): Set<string> {
  const { allowed, problems } = allowedRuleFiles(opts.allowRules);
  if (problems.length > 0) throw new SandboxError('INVALID_ARGUMENT', problems.join('; '), { hint: '--allow-rules takes rule files (regular files) that scenarios name in `rules:`' });
  return allowed;
}

/**
 * `--attach --prometheus-url U --alertmanager-url U [--loki-url U] [--tempo-url U]`, checked
 * together: base URLs normalised (a pasted API path or UI fragment dropped, said through
 * `onNote`), and options that mean nothing attached (`--runtime`, `--parallel`) refused.
 */
export function attachTargetFrom(
  opts: Pick<RunOptions, 'attach' | 'prometheusUrl' | 'alertmanagerUrl' | 'lokiUrl' | 'tempoUrl' | 'parallel'> & { runtime?: string },
  onNote: (line: string) => void = () => undefined,
): AttachTarget | undefined {
  const urls = [
    ['--prometheus-url', opts.prometheusUrl, true, 'prometheus'],
    ['--alertmanager-url', opts.alertmanagerUrl, true, 'alertmanager'],
    ['--loki-url', opts.lokiUrl, false, 'loki'],
    ['--tempo-url', opts.tempoUrl, false, 'tempo'],
  ] as const;
  if (!opts.attach) {
    const given = urls.filter(([, v]) => v).map(([flag]) => flag);
    if (given.length > 0) throw new SandboxError('INVALID_ARGUMENT', `${given.join(' and ')} need${given.length === 1 ? 's' : ''} --attach`, { hint: 'add --attach' });
    return undefined;
  }
  if (opts.runtime !== undefined && opts.runtime !== 'auto') {
    throw new SandboxError('INVALID_ARGUMENT', `--runtime ${opts.runtime} and --attach cannot be combined: attached, the sandbox runs no stack of its own (only its services, sink and controller, as host processes)`, {
      hint: `drop --runtime to judge your stack, or drop --attach to run the sandbox's own stack on ${opts.runtime}`,
    });
  }
  if (opts.parallel !== undefined && opts.parallel !== 'auto' && opts.parallel !== '1') {
    throw new SandboxError('INVALID_ARGUMENT', `--parallel ${opts.parallel} and --attach cannot be combined: scenarios on one attached stack run one after another`, { hint: 'drop --parallel' });
  }
  const bad: string[] = [];
  const base: Partial<Record<(typeof urls)[number][3], string>> = {};
  for (const [flag, v, required, component] of urls) {
    if (!v) {
      if (required) bad.push(`${flag} is missing`);
      continue;
    }
    try {
      const { url, note } = attachBaseUrl(flag, v, component);
      base[component] = url;
      if (note) onNote(note);
    } catch (e) {
      if (!isSandboxError(e)) throw e;
      bad.push(e.message.replace(/^--attach: /, ''));
    }
  }
  if (bad.length > 0) {
    throw new SandboxError('INVALID_ARGUMENT', `--attach: ${bad.join('; ')}`, { hint: 'e.g. --attach --prometheus-url http://127.0.0.1:9090 --alertmanager-url http://127.0.0.1:9093 (base URLs)' });
  }
  return {
    prometheusUrl: base.prometheus!,
    alertmanagerUrl: base.alertmanager!,
    ...(base.loki ? { lokiUrl: base.loki } : {}),
    ...(base.tempo ? { tempoUrl: base.tempo } : {}),
  };
}

/**
 * What an attached stack is configured to do, from its own APIs: detection bounds (intervals,
 * rules' `for`, routes), its receivers, and which of them deliver to this sandbox's sink.
 */
async function readAttachedStack(attach: AttachTarget, ports: PortPlan, stateDir: string) {
  const detection = await readDetectionConfigFromApi(attach.prometheusUrl, attach.alertmanagerUrl);
  const receivers = alertmanagerReceivers(await alertmanagerConfigText(attach.alertmanagerUrl));
  const endpoints = { sinkPort: ports.service('notification-sink'), controllerPort: ports.service('remediation-controller'), tokenFile: attachTokenFile(stateDir) };
  detection.sinkNames = sinkNamesOf(receivers, endpoints.sinkPort);
  return { detection, receivers, endpoints };
}

/** Ports of parallel shards sit this far apart; a sandbox's own ports never collide with them. */
const SHARD_PORT_STEP = 50;

/**
 * `sandbox run` uses the running sandbox (or starts one for the run); `sandbox test` always
 * starts its own, writes every report, and tears down: the CI form.
 */
export async function runCommand(args: string[], opts: RunOptions, mode: 'run' | 'test'): Promise<number> {
  const layout = layoutFrom(opts);
  const attach = attachTargetFrom(opts, (note) => out(`note: ${note}`));
  const attached = attach ? await readAttachedStack(attach, portPlan(portOffsetFrom(opts)), layout.root) : undefined;
  const scenarios = prepareScenarios(resolveScenarioArgs(args), (w) => err(`warning: ${w}`), attached?.detection, { allowedRules: allowedRulesFrom(opts) });
  // Attached: every receiver a scenario names delivers to the sink, remediation reaches the controller.
  if (attach && attached) checkAttachedRouting(scenarios, attached.receivers, attached.detection.alertmanager, attached.endpoints, attach.alertmanagerUrl);
  const names = opts.reporter ?? (mode === 'test' || opts.reportDir ? ['terminal', 'json', 'junit', 'html', 'markdown'] : ['terminal']);
  const files = { json: JSON_REPORT_FILE, junit: JUNIT_REPORT_FILE, html: HTML_REPORT_FILE, markdown: MARKDOWN_REPORT_FILE } as Record<string, string>;
  // Before anything starts: never replace an earlier run's reports without --force.
  const reportDir = chooseReportDir({
    ...(opts.reportDir !== undefined ? { explicit: opts.reportDir } : {}),
    defaultRoot: layout.reportsDir,
    files: names.flatMap((n) => n.split(',')).map((n) => files[n.trim().toLowerCase()]).filter((f): f is string => f !== undefined),
    force: opts.force ?? false,
  });
  const reporters = createReporters(names, { reportDir, quiet: opts.quiet ?? false });
  const { report, interrupted } = await executeSuite(scenarios, opts, mode, reporters);
  if (names.some((n) => n !== 'terminal')) out(`reports: ${reportDir}`);
  if (interrupted) return ExitCode.interrupted;
  if (report.passed) return ExitCode.ok;
  if (report.scenarios.some((s) => s.outcome === 'failed')) return ExitCode.scenarioFailed;
  return ExitCode.environment;
}

/**
 * Run scenarios on the running sandbox (`run`), or on sandboxes of its own that it tears down
 * afterwards (`test`, `scorecard`), with Ctrl-C turned into an orderly stop: faults cleared,
 * reports written, everything stopped.
 */
export async function executeSuite(
  scenarios: readonly Scenario[],
  opts: RunOptions,
  mode: 'run' | 'test',
  reporters: readonly Reporter[],
): Promise<{ report: SuiteReport; interrupted: boolean }> {
  const layout = layoutFrom(opts);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    err('\ninterrupted: clearing faults, writing reports and stopping (Ctrl-C again does not skip cleanup)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const owned: Sandbox[] = [];
  const runLocks: StateLock[] = [];
  try {
    // Only a look: reaping what a killed sandbox left is the starting sandbox's job, under the
    // state dir's lock (a reap from here could meet an `up` that is starting right now).
    const state = inspectState(layout);
    let conns;
    const attach = attachTargetFrom(opts);
    // Before anything starts: a load engine that cannot run where the scenarios will.
    await checkLoadEngines(scenarios, attach ? 'attached' : state.running && mode === 'run' ? state.running.runtime : opts.runtime);
    if (state.liveOwner && mode === 'run' && !attach) {
      if (!state.running) {
        throw new SandboxError('SANDBOX_ALREADY_RUNNING', `the sandbox in ${layout.root} (pid ${state.liveOwner.pid}) ${state.session.kind === 'damaged' ? `cannot be used: ${state.session.reason}` : 'is still starting'}`, {
          hint: state.session.kind === 'damaged' ? '`npx sandbox down` stops it and cleans up' : 'wait until `npx sandbox status` shows it running',
        });
      }
      // One scenario run at a time: scenarios share one Prometheus and Alertmanager, and a
      // second run's faults and alerts would fail the first's expectations.
      runLocks.push(takeRunLock(layout));
      conns = [connectionFrom(state.running, layout)];
      out(`using the running sandbox (session ${state.running.session})`);
    } else if (state.liveOwner) {
      throw new SandboxError('SANDBOX_ALREADY_RUNNING', `a sandbox is already running from ${layout.root} (pid ${state.liveOwner.pid})`, {
        hint: 'this command starts and tears down its own: stop the running one (`npx sandbox down`), use `npx sandbox run`, or give this one its own --state-dir and --port-offset',
      });
    } else {
      // Shard 0 is the usual sandbox; more shards get their own state dir and ports.
      const shards = attach ? 1 : Math.min(parallelism(opts.parallel, mode), scenarios.length) || 1;
      if (shards > 1) out(`running ${scenarios.length} scenarios on ${shards} sandboxes in parallel`);
      const base = portOffsetFrom(opts);
      // Each further shard takes the next step whose ports are all usable (none on a fetch "bad port").
      const offsets = [base];
      while (offsets.length < shards) offsets.push(nextUsableOffset(offsets.at(-1)! + SHARD_PORT_STEP, SHARD_PORT_STEP));
      const start = (i: number) =>
        startSandbox({
          runtime: parseRuntimeChoice(opts.runtime),
          without: parseWithout(opts.without),
          stateDir: i === 0 ? layout.root : join(layout.root, 'shards', String(i)),
          portOffset: offsets[i]!,
          remediation: opts.remediation,
          log: i === 0 ? out : () => undefined,
          ...(attach ? { attach } : {}),
        });
      // Shard 0 first: its start reaps what killed runs left under shards/, which must not
      // meet shards that are starting right now.
      owned.push(await start(0));
      const started = await Promise.allSettled(Array.from({ length: shards - 1 }, (_, i) => start(i + 1)));
      for (const r of started) if (r.status === 'fulfilled') owned.push(r.value);
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      // Its own sandboxes are its alone: a `sandbox run` from elsewhere is refused.
      for (const o of owned) runLocks.push(takeRunLock(o.layout));
      conns = owned.map((o) => connectionFrom(o.info, o.layout));
      if (attach) {
        // Before any fault: the team's Prometheus scrapes every target the sandbox lists.
        await waitForScrapedTargets(attach.prometheusUrl, owned[0]!.layout.root, { warn: (w) => err(`warning: ${w}`) });
        out(`attached: ${attach.prometheusUrl} scrapes the sandbox's services (targets in ${attachTargetsDir(owned[0]!.layout.root)})`);
      }
    }
    const detection = attach ? (await readAttachedStack(attach, portPlan(portOffsetFrom(opts)), layout.root)).detection : undefined;
    const report = await runSuite(conns, scenarios, {
      remediation: opts.remediation,
      reporters,
      runtime: conns[0]!.runtime,
      signal: abort.signal,
      ...(detection ? { detection } : {}),
    });
    return { report, interrupted: abort.signal.aborted };
  } finally {
    for (const l of runLocks) l.release();
    await Promise.all(owned.map((o) => o.stop()));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The run lock of a sandbox's state dir, or a refusal naming the run that holds it. */
export function takeRunLock(layout: StateLayout, purpose = 'scenario run'): StateLock {
  return StateLock.acquire(layout.runLockFile, purpose, {
    refusal: (owner) =>
      new SandboxError('SANDBOX_ALREADY_RUNNING', `another ${owner.purpose} is using the sandbox in ${layout.root}: pid ${owner.pid} (\`${owner.command}\`), since ${owner.acquiredAt}`, {
        hint: 'scenario runs share one Prometheus and Alertmanager, so they go one at a time: wait for it to finish, or give this run its own sandbox (--state-dir and --port-offset)',
      }),
  });
}

/**
 * How many sandboxes `test` runs side by side: by default one per core, at most three. Each is
 * a Prometheus, an Alertmanager and four Node processes at a few percent of a core, but CPU
 * scenarios need a core of their own: three sandboxes on two cores starve cpu-saturation.
 */
function parallelism(value: string | undefined, mode: 'run' | 'test'): number {
  if (value === undefined || value === 'auto') return mode === 'test' ? Math.max(1, Math.min(3, availableParallelism())) : 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new SandboxError('INVALID_ARGUMENT', `--parallel "${value}" must be a whole number from 1 to 8, or auto`, { hint: 'e.g. --parallel 2' });
  }
  return n;
}
