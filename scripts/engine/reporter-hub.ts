import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SandboxError } from '../core/errors.ts';
import { createReporters, reporterNames, type ReporterOptions } from '../reporters/index.ts';
import type { Reporter, ReporterContext, ScenarioResult, SuiteReport } from '../scenario/result.ts';
import type { TimelineEvent } from '../scenario/timeline.ts';

/** A reporter given by name (`json`), by module path (`./my-reporter.mjs`), or as an object. */
export type ReporterSpec = string | Reporter;

/** A reporter hook that threw: the run went on, and the failure is reported at the end. */
export interface ReporterFailure {
  reporter: string;
  hook: string;
  message: string;
}

/**
 * The reporters of one suite run, with a lifecycle like vitest's: `onInit` once with the run's
 * context, then per scenario `onScenarioStart`, `onEvent` (as each event is recorded),
 * `onScenarioEnd`, and finally `onSuiteEnd`. Every hook but onEvent is awaited, in the order the
 * reporters were given. A reporter that throws is isolated: the others and the run go on, and
 * its failure is kept (`failures`) for the caller to report and turn into an exit code.
 */
export class ReporterHub {
  readonly failures: ReporterFailure[] = [];

  constructor(
    readonly reporters: readonly Reporter[],
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  async init(context: ReporterContext): Promise<void> {
    await this.each('onInit', (r) => r.onInit?.(context));
  }

  async scenarioStart(name: string): Promise<void> {
    await this.each('onScenarioStart', (r) => r.onScenarioStart?.(name));
  }

  /** Synchronous, and not awaited: events arrive while a scenario runs. */
  event(scenario: string, event: TimelineEvent): void {
    for (const r of this.reporters) {
      if (!r.onEvent) continue;
      try {
        r.onEvent(scenario, event);
      } catch (e) {
        this.fail(r, 'onEvent', e);
      }
    }
  }

  async scenarioEnd(result: ScenarioResult): Promise<void> {
    await this.each('onScenarioEnd', (r) => r.onScenarioEnd?.(result));
  }

  async suiteEnd(report: SuiteReport): Promise<void> {
    await this.each('onSuiteEnd', (r) => r.onSuiteEnd?.(report));
  }

  /**
   * The reporter failures as one error (REPORTER_FAILED, exit 3), or null: a report file that
   * could not be written must not pass a CI job silently.
   */
  failureError(): SandboxError | null {
    if (this.failures.length === 0) return null;
    return new SandboxError('REPORTER_FAILED', `${this.failures.length} reporter hook${this.failures.length === 1 ? '' : 's'} failed`, {
      details: this.failures.map((f) => `${f.reporter} ${f.hook}: ${f.message}`),
      hint: 'the scenarios ran and the other reporters wrote their output; fix what the failing reporter needs (a writable --report-dir, its module) and run again',
    });
  }

  private async each(hook: string, call: (r: Reporter) => void | Promise<void> | undefined): Promise<void> {
    for (const r of this.reporters) {
      try {
        await call(r);
      } catch (e) {
        this.fail(r, hook, e);
      }
    }
  }

  private fail(r: Reporter, hook: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.failures.push({ reporter: r.name, hook, message });
    this.warn(`reporter ${r.name} failed in ${hook}: ${message}`);
  }
}

/**
 * Reporters from names, module paths and objects, in the order given. A module path (anything
 * with a slash or a .js/.mjs/.ts ending) is imported; its default export is a Reporter object,
 * a class, or a factory, the latter two given the reporter options. Unknown names and modules
 * that are not reporters fail before anything runs (INVALID_ARGUMENT, exit 2).
 */
export async function loadReporters(specs: readonly ReporterSpec[], options: ReporterOptions, cwd = process.cwd()): Promise<Reporter[]> {
  const out: Reporter[] = [];
  const names: string[] = [];
  const flush = () => {
    if (names.length) out.push(...createReporters(names.splice(0), options));
  };
  for (const spec of specs) {
    if (typeof spec !== 'string') {
      flush();
      out.push(checkReporter(spec, 'the reporter object'));
      continue;
    }
    for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!isModulePath(part)) {
        names.push(part);
        continue;
      }
      flush();
      out.push(await importReporter(part, options, cwd));
    }
  }
  flush();
  return out;
}

const isModulePath = (s: string) => s.includes('/') || s.includes('\\') || /\.(?:[cm]?js|[cm]?ts)$/.test(s);

async function importReporter(path: string, options: ReporterOptions, cwd: string): Promise<Reporter> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new SandboxError('INVALID_ARGUMENT', `reporter module ${path} cannot be loaded: ${(e as Error).message.split('\n')[0]}`, {
      hint: `a reporter is a module whose default export is a reporter object, class or factory; built-in reporters: ${reporterNames.join(', ')}`,
    });
  }
  const exported = mod.default;
  let reporter: unknown = exported;
  if (typeof exported === 'function') {
    const isClass = /^class[\s{]/.test(Function.prototype.toString.call(exported));
    reporter = isClass ? new (exported as new (o: ReporterOptions) => unknown)(options) : (exported as (o: ReporterOptions) => unknown)(options);
  }
  const r = checkReporter(reporter, `reporter module ${path}`) as Reporter & { name?: string };
  return r.name ? r : Object.assign(r, { name: path });
}

const HOOKS = ['onInit', 'onScenarioStart', 'onEvent', 'onScenarioEnd', 'onSuiteEnd'] as const;

function checkReporter(value: unknown, what: string): Reporter {
  const hooks = typeof value === 'object' && value !== null ? HOOKS.filter((h) => typeof (value as Record<string, unknown>)[h] === 'function') : [];
  if (hooks.length === 0) {
    throw new SandboxError('INVALID_ARGUMENT', `${what} is not a reporter: it has none of ${HOOKS.join(', ')}`, {
      hint: 'export default { name: "mine", onScenarioEnd(result) { ... } } (or a class, or a factory taking the reporter options)',
    });
  }
  return value as Reporter;
}
