import { ExitCode, SandboxError } from '../../core/errors.ts';
import { createReporters } from '../../reporters/index.ts';
import { writeReportFile } from '../../reporters/write-file.ts';
import { chooseReportDir } from '../../reporters/report-dir.ts';
import { resolveScenarioArgs } from '../../scenario/discover.ts';
import { prepareScenarios } from '../../scenario/suite.ts';
import { computeScorecard } from '../../scorecard/compute.ts';
import { renderScorecardHtml } from '../../scorecard/html.ts';
import { err, layoutFrom, out } from '../context.ts';
import { allowedRulesFrom, executeSuite, type RunOptions } from './run.ts';

/**
 * `sandbox scorecard`: run every scenario (default: the built-in catalog) several times on
 * sandboxes of its own and score the alerting: the fault × alert matrix, detection coverage,
 * precision, false positives in the baseline and MTTD per alert. Writes scorecard.json and
 * scorecard.html. A report, not a gate: it exits 0 unless it could not run.
 */
export async function scorecardCommand(args: string[], opts: RunOptions & { repeat: string }): Promise<number> {
  const repeat = Number(opts.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    throw new SandboxError('INVALID_ARGUMENT', `--repeat "${opts.repeat}" must be a whole number from 1 to 20`, { hint: 'e.g. --repeat 3' });
  }
  const scenarios = prepareScenarios(resolveScenarioArgs(args), (w) => err(`warning: ${w}`), undefined, { allowedRules: allowedRulesFrom(opts) });
  // Repeats interleave (a, b, c, a, b, c...), so one run's leftovers never meet its own repeat.
  const runs = Array.from({ length: repeat }, () => scenarios).flat();
  const reportDir = chooseReportDir({
    ...(opts.reportDir !== undefined ? { explicit: opts.reportDir } : {}),
    defaultRoot: layoutFrom(opts).reportsDir,
    files: ['scorecard.json', 'scorecard.html'],
    force: opts.force ?? false,
  });
  const reporters = createReporters(['terminal'], { reportDir, quiet: true });
  const { report, interrupted } = await executeSuite(runs, opts, 'test', reporters);
  const card = computeScorecard(scenarios, report.scenarios, report.runtime);
  await writeReportFile(reportDir, 'scorecard.json', `${JSON.stringify(card, null, 2)}\n`);
  await writeReportFile(reportDir, 'scorecard.html', renderScorecardHtml(card));
  const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)}%`);
  out('');
  out(`detection coverage ${pct(card.coverage.ratio)} (${card.coverage.detectedRuns}/${card.coverage.runs} fault runs)`);
  out(`precision          ${pct(card.precision.ratio)} (${card.precision.expected}/${card.precision.fired} firings expected)`);
  out(`baseline           ${card.baseline.falsePositives} false positive(s) in ${card.baseline.runs} run(s)`);
  for (const [alert, s] of Object.entries(card.mttdByAlert)) {
    const f = card.ofCeilingByAlert[alert];
    const frac = f?.p50 != null && f.max !== null ? `  = ${f.p50.toFixed(2)}× ceiling (max ${f.max.toFixed(2)}×)` : '';
    out(`MTTD ${alert.padEnd(26)} p50 ${s.p50?.toFixed(1)}s  p95 ${s.p95?.toFixed(1)}s${frac}  (${s.samples} runs)`);
  }
  out(`scorecard: ${reportDir}/scorecard.html`);
  if (interrupted) return ExitCode.interrupted;
  return report.scenarios.every((s) => s.outcome === 'errored') ? ExitCode.environment : ExitCode.ok;
}
