/**
 * `observability-sandbox/vitest`: scenario suites inside a team's own vitest files.
 *
 *   import { scenarioTests } from 'observability-sandbox/vitest';
 *   scenarioTests(['my-scenarios/'], { runtime: 'native' });
 *
 * starts a sandbox for the file (beforeAll), runs every scenario as its own test named after it,
 * fails a test with the expectation that missed, the observed times and the timeline, skips one
 * whose expectations need a component this sandbox lacks, writes the report files `sandbox test`
 * writes when the file's tests end, and stops the sandbox (afterAll). `useSandbox()` gives the
 * same sandbox to hand-written tests. Everything goes through the engine (scripts/engine/) the
 * CLI uses.
 */
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest';
import { freePortOffset } from '../engine/port-offset.ts';
import { openSandboxes, type SandboxesOptions } from '../engine/open-sandboxes.ts';
import { loadReporters, ReporterHub, type ReporterSpec } from '../engine/reporter-hub.ts';
import type { SandboxPool } from '../engine/sandbox-pool.ts';
import { runScenarioRepeats } from '../engine/scenario-runs.ts';
import { suiteReport } from '../engine/suite-report.ts';
import { loadSuiteScenarios, needsTheCores, suiteReportDir } from '../engine/suite-run.ts';
import { scenarioText } from '../reporters/scenario-text.ts';
import type { Scenario } from '../scenario/model.ts';
import type { ScenarioResult, SuiteReport } from '../scenario/result.ts';

export interface SandboxTestOptions extends Omit<SandboxesOptions, 'stateDir' | 'useRunning' | 'log'> {
  /** Default: .sandbox/vitest/<test file name> in the working directory. */
  stateDir?: string;
  /** Default: a free one (every test file runs its own sandbox, side by side). */
  portOffset?: number;
  /** Report files, as `sandbox test` writes them (default json, junit, html, markdown). */
  reporters?: readonly ReporterSpec[];
  /**
   * Where the report files go. Default: a new <state dir>/reports/<UTC time> per run. A given
   * directory that holds reports of an earlier run is refused (as with `sandbox test`) unless `force`.
   */
  reportDir?: string;
  /** Replace reports an earlier run left in `reportDir`. */
  force?: boolean;
  /** Rule files outside the scenarios' directories and the project that scenarios may load (`rules:`), as `--allow-rules`. */
  allowRules?: readonly string[];
  /** How long starting the sandbox may take (default 5 minutes: an image pull on first use). */
  startTimeoutMs?: number;
  /** Start-up lines (default: none; vitest prints the tests). */
  log?: (line: string) => void;
}

/** A scenario that did not pass, with everything a reader needs to see why. */
export class ScenarioFailure extends Error {
  override readonly name = 'ScenarioFailure';
  constructor(readonly result: ScenarioResult) {
    super(scenarioText(result));
  }
}

/** Throws a ScenarioFailure unless the scenario passed (a skip is left to the caller). */
export function assertScenarioPassed(result: ScenarioResult): void {
  if (result.outcome !== 'passed' && result.outcome !== 'skipped') throw new ScenarioFailure(result);
}

/** The file's sandbox: open in beforeAll, closed (reports written) in afterAll. */
export class SandboxSuite {
  private pool: SandboxPool | undefined;
  private hub: ReporterHub | undefined;
  private readonly results: { order: number; result: ScenarioResult }[] = [];
  private startedAt = new Date();
  private dir: string | undefined;

  constructor(
    private readonly options: SandboxTestOptions,
    /** Scenarios declared up front (scenarioTests): the report lists them in this order. */
    private readonly declared: readonly Scenario[] = [],
  ) {}

  /** Where the report files go (known once the sandbox started). */
  get reportDir(): string {
    if (!this.dir) throw new Error('the sandbox has not started yet: reportDir is known from beforeAll on');
    return this.dir;
  }

  async open(testFile: string): Promise<void> {
    const stateDir = resolve(this.options.stateDir ?? join('.sandbox', 'vitest', basename(testFile).replace(/\.[cm]?[jt]sx?$/, '')));
    const specs = this.options.reporters ?? ['json', 'junit', 'html', 'markdown'];
    this.dir = suiteReportDir({ stateDir, reporters: specs, ...(this.options.reportDir !== undefined ? { reportDir: this.options.reportDir } : {}), force: this.options.force ?? false });
    const reporters = await loadReporters(specs, { reportDir: this.dir, quiet: true });
    this.hub = new ReporterHub(reporters, (line) => process.stderr.write(`${line}\n`));
    await this.hub.init({ reportDir: this.dir, scenarios: this.declared });
    this.startedAt = new Date();
    this.pool = await openSandboxes({
      ...this.options,
      stateDir,
      portOffset: this.options.portOffset ?? (await freePortOffset({ sandboxes: this.options.sandboxes ?? 1 })),
      ...(this.options.log ? { log: this.options.log } : {}),
    });
  }

  /** Run a scenario (a file, a built-in name, or a loaded one) on the file's sandbox. */
  async run(scenario: string | Scenario, options: { signal?: AbortSignal } = {}): Promise<ScenarioResult> {
    if (!this.pool || !this.hub) throw new Error('the sandbox has not started: call run() inside a test, after beforeAll');
    const loaded = typeof scenario === 'string' ? loadSuiteScenarios([scenario], undefined, undefined, this.options.allowRules)[0]! : scenario;
    const hub = this.hub;
    const result = await this.pool.use(
      (conn) => runScenarioRepeats(conn, loaded, { remediation: this.options.remediation ?? true, hub, ...(options.signal ? { signal: options.signal } : {}) }),
      () => null,
      { exclusive: needsTheCores(loaded) },
    );
    const declaredAt = this.declared.indexOf(loaded);
    this.results.push({ order: declaredAt === -1 ? this.declared.length + this.results.length : declaredAt, result });
    return result;
  }

  /** Writes the reports and stops the sandbox. */
  async close(): Promise<SuiteReport | undefined> {
    if (!this.pool || !this.hub) return undefined;
    try {
      const ordered = [...this.results].sort((a, b) => a.order - b.order).map((r) => r.result);
      const report = suiteReport(this.pool.runtime, this.startedAt, ordered);
      await this.hub.suiteEnd(report);
      const failure = this.hub.failureError();
      if (failure) throw failure;
      return report;
    } finally {
      await this.pool.close();
    }
  }
}

/**
 * A sandbox for the tests of the current file (or describe block): started in beforeAll,
 * stopped in afterAll, with the report files written then.
 */
export function useSandbox(options: SandboxTestOptions = {}): SandboxSuite {
  return withHooks(new SandboxSuite(options), options);
}

function withHooks(suite: SandboxSuite, options: SandboxTestOptions): SandboxSuite {
  // vitest reads the first parameter's destructuring pattern to see which fixtures a hook uses.
  // eslint-disable-next-line no-empty-pattern
  beforeAll(async ({}, file) => suite.open(file.file.filepath), options.startTimeoutMs ?? 300_000);
  afterAll(async () => void (await suite.close()), 120_000);
  return suite;
}

/**
 * Every scenario (files, directories, built-in names) as its own test, named after it, on a
 * sandbox of this file's. Scenario files are loaded and checked while vitest collects the tests:
 * an invalid one fails the file at once, naming file, line and key.
 */
export function scenarioTests(scenarios: readonly (string | Scenario)[], options: SandboxTestOptions & { name?: string } = {}): SandboxSuite {
  const loaded = loadSuiteScenarios(scenarios, undefined, undefined, options.allowRules);
  const suite = new SandboxSuite(options, loaded);
  describe(options.name ?? 'scenarios', () => {
    withHooks(suite, options);
    // Several sandboxes: scenarios run side by side, each test waiting for a free sandbox.
    const concurrent = (options.sandboxes ?? 1) > 1;
    const total = loaded.reduce((s, x) => s + scenarioBudgetMs(x), 0);
    for (const scenario of loaded) {
      const test = concurrent ? it.concurrent : it;
      test(
        scenario.name,
        async (context: TestContext) => {
          const result = await suite.run(scenario, { signal: context.signal });
          if (result.outcome === 'skipped') context.skip(result.error?.message ?? 'skipped');
          assertScenarioPassed(result);
        },
        concurrent ? total : scenarioBudgetMs(scenario),
      );
    }
  });
  return suite;
}

/** How long a scenario may take: its longest deadline, per run, plus a minute for reset and start. */
export function scenarioBudgetMs(s: Scenario): number {
  const deadlines = [s.load.durationSeconds, s.targets.mttdSeconds ?? 0, s.targets.mttrSeconds ?? 0, ...s.expectations.map((e) => ('withinSeconds' in e ? (e.withinSeconds ?? 0) : 0))];
  const firstFault = Math.min(...s.faults.map((f) => f.atSeconds), Infinity);
  return Math.round((Math.max(...deadlines) + (Number.isFinite(firstFault) ? firstFault : 0) + 60) * s.repeat.runs * 1000);
}

export type { ScenarioResult, SuiteReport, Scenario };
