import { ExitCode, SandboxError } from '../../core/errors.ts';
import { loadSuiteScenarios, runSuite } from '../../engine/suite-run.ts';
import { parseWithout } from '../../runtime/components.ts';
import { parseRuntimeChoice } from '../../runtime/select-runtime.ts';
import { err, layoutFrom, out, portOffsetFrom } from '../context.ts';
import { exitCodeOf, parallelism, type RunCommandOptions } from './run.ts';

/**
 * `sandbox scorecard`: run every scenario (default: the built-in catalog) several times on
 * sandboxes of its own and score the alerting with the scorecard reporter: the fault × alert
 * matrix, detection coverage, precision, false positives in the baseline and MTTD per alert, in
 * scorecard.json and scorecard.html. A report, not a gate: it exits 0 unless it could not run.
 */
export async function scorecardCommand(args: string[], opts: RunCommandOptions & { repeat: string }): Promise<number> {
  const repeat = Number(opts.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    throw new SandboxError('INVALID_ARGUMENT', `--repeat "${opts.repeat}" must be a whole number from 1 to 20`, { hint: 'e.g. --repeat 3' });
  }
  const scenarios = loadSuiteScenarios(args, (w) => err(`warning: ${w}`), undefined, opts.allowRules);
  const outcome = await runSuite({
    // Repeats interleave (a, b, c, a, b, c...), so one run's leftovers never meet its own repeat.
    scenarios: Array.from({ length: repeat }, () => scenarios).flat(),
    stateDir: layoutFrom(opts).root,
    portOffset: portOffsetFrom(opts),
    runtime: parseRuntimeChoice(opts.runtime),
    without: parseWithout(opts.without),
    remediation: true,
    sandboxes: parallelism(opts.parallel, 'test'),
    reporters: ['terminal', 'scorecard'],
    ...(opts.reportDir !== undefined ? { reportDir: opts.reportDir } : {}),
    force: opts.force ?? false,
    quiet: true,
    handleSignals: true,
    log: out,
    warn: err,
  });
  const code = exitCodeOf(outcome, err);
  if (code === ExitCode.interrupted || outcome.reporterError) return code;
  return outcome.report.scenarios.every((s) => s.outcome === 'errored') ? ExitCode.environment : ExitCode.ok;
}
