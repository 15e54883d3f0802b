import { availableParallelism } from 'node:os';
import { ExitCode, isSandboxError, SandboxError } from '../../core/errors.ts';
import { runSuite, type SuiteOutcome } from '../../engine/suite-run.ts';
import type { AttachTarget } from '../../runtime/attached/attached-runtime.ts';
import { attachBaseUrl } from '../../runtime/attached/base-url.ts';
import { parseWithout } from '../../runtime/components.ts';
import { parseRuntimeChoice } from '../../runtime/select-runtime.ts';
import { err, layoutFrom, out, portOffsetFrom, type GlobalOptions } from '../context.ts';

export interface RunCommandOptions extends GlobalOptions {
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

/**
 * `--attach --prometheus-url U --alertmanager-url U [--loki-url U] [--tempo-url U]`, checked
 * together: base URLs normalised (a pasted API path or UI fragment dropped, said through
 * `onNote`), and options that mean nothing attached (`--runtime`, `--parallel`) refused.
 */
export function attachTargetFrom(
  opts: Pick<RunCommandOptions, 'attach' | 'prometheusUrl' | 'alertmanagerUrl' | 'lokiUrl' | 'tempoUrl' | 'parallel'> & { runtime?: string },
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

/** Every reporter but the terminal's writes a file: `test`, and `run` with --report-dir, get them all. */
const FILE_REPORTERS = ['json', 'junit', 'html', 'markdown'];

/**
 * `sandbox run` uses the running sandbox (or starts one for the run); `sandbox test` always
 * starts its own, writes every report, and tears down: the CI form. Both parse their options
 * and print; the suite run is the engine's (engine/suite-run.ts).
 */
export async function runCommand(args: string[], opts: RunCommandOptions, mode: 'run' | 'test'): Promise<number> {
  const layout = layoutFrom(opts);
  const attach = attachTargetFrom(opts, (note) => out(`note: ${note}`));
  const reporters = opts.reporter ?? (mode === 'test' || opts.reportDir ? ['terminal', ...FILE_REPORTERS] : ['terminal']);
  const outcome = await runSuite({
    scenarios: args,
    stateDir: layout.root,
    portOffset: portOffsetFrom(opts),
    runtime: parseRuntimeChoice(opts.runtime),
    without: parseWithout(opts.without),
    remediation: opts.remediation,
    sandboxes: attach ? 1 : parallelism(opts.parallel, mode),
    useRunning: mode === 'run',
    ...(attach ? { attach } : {}),
    reporters,
    ...(opts.reportDir !== undefined ? { reportDir: opts.reportDir } : {}),
    force: opts.force ?? false,
    ...(opts.allowRules ? { allowRules: opts.allowRules } : {}),
    quiet: opts.quiet ?? false,
    handleSignals: true,
    log: out,
    warn: err,
  });
  if (reporters.some((n) => n !== 'terminal')) out(`reports: ${outcome.reportDir}`);
  return exitCodeOf(outcome, err);
}

/**
 * 130 when interrupted; 0 when every scenario passed (or was skipped for an unavailable
 * component); 1 when one failed; else 3 (the sandbox, not the monitoring, fell short). A
 * reporter that failed turns a 0 into 3: a report CI expects must not go missing silently.
 */
export function exitCodeOf(outcome: SuiteOutcome, say: (line: string) => void): number {
  if (outcome.reporterError) say(outcome.reporterError.format());
  if (outcome.interrupted) return ExitCode.interrupted;
  if (outcome.report.passed) return outcome.reporterError ? ExitCode.environment : ExitCode.ok;
  if (outcome.report.scenarios.some((s) => s.outcome === 'failed')) return ExitCode.scenarioFailed;
  return ExitCode.environment;
}

/**
 * How many sandboxes `test` runs side by side: by default one more than the cores, at most
 * three. A sandbox mostly waits on rule windows: three running scenarios used about 0.6 of a core
 * together (Prometheus, the services and the receivers; measured on two cores), and about
 * 600 MiB each. A scenario that needs a core of its own (cpu-burn) runs with nothing beside it,
 * first (suite-run.ts).
 */
export function parallelism(value: string | undefined, mode: 'run' | 'test'): number {
  if (value === undefined || value === 'auto') return mode === 'test' ? Math.max(1, Math.min(3, availableParallelism() + 1)) : 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new SandboxError('INVALID_ARGUMENT', `--parallel "${value}" must be a whole number from 1 to 8, or auto`, { hint: 'e.g. --parallel 2' });
  }
  return n;
}
