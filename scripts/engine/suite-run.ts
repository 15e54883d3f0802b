import { isSandboxError, SandboxError } from '../core/errors.ts';
import { HOST_BOUND_FAULTS } from '../faults/catalog.ts';
import { reportFilesOf, type ReporterOptions } from '../reporters/index.ts';
import { chooseReportDir } from '../reporters/report-dir.ts';
import { allowedRuleFiles } from '../scenario/rule-files.ts';
import { resolveStateDir, stateLayout } from '../runtime/state.ts';
import { checkAttachedStack, readAttachedStack } from '../scenario/attached/attached-stack.ts';
import type { DetectionConfig } from '../scenario/detection-bounds.ts';
import { resolveScenarioArgs } from '../scenario/discover.ts';
import type { Scenario } from '../scenario/model.ts';
import type { ScenarioResult, SuiteReport } from '../scenario/result.ts';
import { checkLoadEngines } from '../scenario/load-engines.ts';
import { prepareScenarios } from '../scenario/suite.ts';
import { portPlan } from '../stack/catalog.ts';
import { openSandboxes, type SandboxesOptions } from './open-sandboxes.ts';
import { loadReporters, ReporterHub, type ReporterSpec } from './reporter-hub.ts';
import { notRunResult, suiteReport } from './suite-report.ts';
import type { SandboxPool } from './sandbox-pool.ts';
import { runScenarioRepeats } from './scenario-runs.ts';

export interface SuiteOptions extends Partial<Omit<SandboxesOptions, 'log'>> {
  /**
   * Scenario files, directories of them, built-in names, or scenarios already loaded
   * (default: the built-in catalog). All are loaded and checked before anything starts.
   */
  scenarios?: readonly (string | Scenario)[];
  /** Run on these sandboxes instead of opening any (they stay running). */
  pool?: SandboxPool;
  /** Names (terminal, json, junit, html, markdown, scorecard), module paths, or reporter objects. Default: terminal. */
  reporters?: readonly ReporterSpec[];
  /**
   * Where file reporters write. Given, it is used as is, and refused (before anything starts)
   * when it holds a file this run would write, unless `force`. Default: a new
   * <state dir>/reports/<UTC time> per run, so no earlier report is ever replaced.
   */
  reportDir?: string;
  /** Replace reports an earlier run left in `reportDir`. */
  force?: boolean;
  /** Rule files outside the scenarios' directories and the project that scenarios may load (`rules:`). */
  allowRules?: readonly string[];
  /** Terminal reporter: only each scenario's start and result. */
  quiet?: boolean;
  /** Ends the run in order: faults cleared, reports written, everything stopped. */
  signal?: AbortSignal;
  /** Turn SIGINT and SIGTERM into that orderly stop (the CLI; an embedding program usually passes `signal`). */
  handleSignals?: boolean;
  /** Progress lines that are not a reporter's (start-up, interruption). Default: none. */
  log?: (line: string) => void;
  /** Warnings and notices for the error stream (targets that may be flaky, a reporter that failed, an interruption), whole lines. Default: log. */
  warn?: (line: string) => void;
  /** Reporter options beyond the report dir (the terminal's stream, the markdown env). */
  reporterOptions?: Omit<ReporterOptions, 'reportDir' | 'quiet'>;
}

export interface SuiteOutcome {
  report: SuiteReport;
  /** The run was stopped by the signal (or SIGINT/SIGTERM). */
  interrupted: boolean;
  /** Where the file reporters wrote. */
  reportDir: string;
  /** REPORTER_FAILED when a reporter hook threw (the run went on), else null. */
  reporterError: SandboxError | null;
}

/**
 * A whole suite run, the one the CLI's `run`, `test` and `scorecard`, the vitest integration and
 * the bench all go through: load and check every scenario, open the reporters (vitest-like
 * lifecycle), start the sandboxes (or use the running one, or attach), spread the scenarios over
 * them longest first, repeat each as its `repeat:` says, and tear everything down whatever
 * happens, writing the reports also when interrupted.
 */
export async function runSuite(options: SuiteOptions = {}): Promise<SuiteOutcome> {
  const log = options.log ?? (() => undefined);
  const warn = options.warn ?? log;
  const stateDir = resolveStateDir(options.stateDir);
  // Attached: the team's configuration bounds detection, and every receiver a scenario names
  // must reach the sink; both are known before anything starts.
  const attached = options.attach ? await readAttachedStack(options.attach, portPlan(options.portOffset ?? 0), stateDir) : undefined;
  const detection = attached?.detection;
  const scenarios = loadSuiteScenarios(options.scenarios, (w) => warn(`warning: ${w}`), detection, options.allowRules);
  if (options.attach && attached) checkAttachedStack(scenarios, attached, options.attach);
  const specs = options.reporters ?? ['terminal'];
  const reportDir = suiteReportDir({ stateDir, reporters: specs, ...(options.reportDir !== undefined ? { reportDir: options.reportDir } : {}), force: options.force ?? false });
  const reporters = await loadReporters(specs, { ...options.reporterOptions, reportDir, quiet: options.quiet ?? false });
  const hub = new ReporterHub(reporters, (w) => warn(`warning: ${w}`));

  const abort = new AbortController();
  const stopOn = (reason: string) => {
    if (abort.signal.aborted) return;
    warn(`\n${reason}: clearing faults, writing reports and stopping (Ctrl-C again does not skip cleanup)`);
    abort.abort();
  };
  const onSignal = () => stopOn('interrupted');
  const onAbort = () => stopOn('stopped');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) abort.abort();
  if (options.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let pool: SandboxPool | undefined;
  try {
    await hub.init({ reportDir, scenarios });
    pool =
      options.pool ??
      (await openSandboxes({
        ...options,
        stateDir,
        sandboxes: Math.min(options.sandboxes ?? 1, scenarios.length),
        log,
        warn: (w) => warn(`warning: ${w}`),
        // A load engine that cannot run where the scenarios will: refused before anything starts.
        check: (runtime) => checkLoadEngines(scenarios, runtime),
      }));
    if (pool.size > 1) log(`running ${scenarios.length} scenarios on ${pool.size} sandboxes in parallel`);
    const report = await runOnPool(pool, scenarios, { remediation: options.remediation ?? true, hub, signal: abort.signal, ...(detection ? { detection } : {}) });
    await hub.suiteEnd(report);
    return { report, interrupted: abort.signal.aborted, reportDir, reporterError: hub.failureError() };
  } finally {
    if (pool && pool !== options.pool) await pool.close();
    options.signal?.removeEventListener('abort', onAbort);
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/**
 * Scenario files (paths, directories, built-in names) and loaded scenarios, checked together.
 * `allowRules`: rule files outside the scenarios' directories and the project they may load;
 * a path that is not a regular file is refused (INVALID_ARGUMENT, naming each).
 */
export function loadSuiteScenarios(
  given: SuiteOptions['scenarios'],
  warn: (line: string) => void = () => undefined,
  detection?: DetectionConfig,
  allowRules?: readonly string[],
): Scenario[] {
  const { allowed, problems } = allowedRuleFiles(allowRules);
  if (problems.length > 0) throw new SandboxError('INVALID_ARGUMENT', problems.join('; '), { hint: '--allow-rules takes rule files (regular files) that scenarios name in `rules:`' });
  const items = given ?? [];
  const paths = items.filter((s): s is string => typeof s === 'string');
  const loaded = items.filter((s): s is Scenario => typeof s !== 'string');
  const fromFiles = paths.length > 0 || loaded.length === 0 ? prepareScenarios(resolveScenarioArgs(paths), warn, detection, { allowedRules: allowed }) : [];
  return [...fromFiles, ...loaded];
}

/**
 * Where a run's report files go, such that no earlier report is replaced silently: the given
 * directory (refused when it holds a file these reporters write, unless `force`), or a new
 * <state dir>/reports/<UTC time>.
 */
export function suiteReportDir(options: { stateDir: string; reporters: readonly ReporterSpec[]; reportDir?: string; force?: boolean }): string {
  return chooseReportDir({
    ...(options.reportDir !== undefined ? { explicit: options.reportDir } : {}),
    defaultRoot: stateLayout(resolveStateDir(options.stateDir)).reportsDir,
    files: reportFilesOf(options.reporters.filter((r): r is string => typeof r === 'string')),
    force: options.force ?? false,
  });
}

/**
 * Every scenario on the pool, longest first when there are several sandboxes (so no long one
 * starts last and runs alone); results in the order of the scenario list. What no sandbox could
 * run (all retired, or interrupted first) is `skipped` with the reason: no result goes missing.
 */
export async function runOnPool(
  pool: SandboxPool,
  scenarios: readonly Scenario[],
  options: { remediation: boolean; hub: ReporterHub; signal?: AbortSignal; detection?: DetectionConfig },
): Promise<SuiteReport> {
  const startedAt = new Date();
  const order = runOrder(scenarios, pool.size);
  const results: ScenarioResult[] = new Array(scenarios.length);
  await Promise.all(
    order.map(async (i) => {
      const scenario = scenarios[i]!;
      try {
        results[i] = await pool.use(
          (conn) => {
            if (options.signal?.aborted) return Promise.resolve(notRunResult(scenario, 'interrupted before it started'));
            return runScenarioRepeats(conn, scenario, options);
          },
          (r) => (r.outcome === 'errored' && r.error?.code === 'SANDBOX_NOT_CLEAN' ? r.error.message : null),
          { exclusive: needsTheCores(scenario) },
        );
      } catch (e) {
        if (!isSandboxError(e) || e.code !== 'SANDBOX_NOT_CLEAN') throw e;
        results[i] = notRunResult(scenario, e.message);
      }
    }),
  );
  return suiteReport(pool.runtime, startedAt, results);
}

/** A scenario whose fault is measured against the machine's cores runs with no other beside it. */
export function needsTheCores(s: Scenario): boolean {
  return s.faults.some((f) => HOST_BOUND_FAULTS.has(f.type));
}

/**
 * The order scenarios ask for a sandbox in (indices into `scenarios`). On one sandbox, as given.
 * On several: those that need the cores to themselves first, while every sandbox is idle anyway
 * (later, an exclusive job would leave the others idle while the running ones drain), then the
 * longest first, so that the short ones fill the gaps at the end.
 */
export function runOrder(scenarios: readonly Scenario[], sandboxes: number): number[] {
  const order = scenarios.map((_, i) => i);
  if (sandboxes <= 1) return order;
  const key = (i: number) => [needsTheCores(scenarios[i]!) ? 0 : 1, -expectedSeconds(scenarios[i]!)] as const;
  return order.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || ka[1] - kb[1];
  });
}

function expectedSeconds(s: Scenario): number {
  return s.load.durationSeconds * s.repeat.runs;
}
