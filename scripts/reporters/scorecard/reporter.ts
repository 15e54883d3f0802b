import type { Reporter, ReporterContext, ScenarioResult, SuiteReport } from '../../scenario/result.ts';
import type { Scenario } from '../../scenario/model.ts';
import type { OutputStream } from '../terminal.ts';
import { writeReportFile } from '../write-file.ts';
import { computeScorecard, type Scorecard } from './compute.ts';
import { renderScorecardHtml } from './html.ts';

export const SCORECARD_JSON_FILE = 'scorecard.json';
export const SCORECARD_HTML_FILE = 'scorecard.html';

/**
 * The alerting scorecard as a reporter: it hears every run of every scenario (a scenario listed
 * several times, as `sandbox scorecard --repeat` lists them, or one with `repeat:`), and when the
 * suite ends scores them (fault × alert matrix, coverage, precision, baseline noise, MTTD per
 * alert), writes scorecard.json and scorecard.html, and prints the headline figures.
 */
export class ScorecardReporter implements Reporter {
  readonly name = 'scorecard';
  private scenarios: Scenario[] = [];
  private readonly runs: ScenarioResult[] = [];
  /** The last scorecard written (for callers that want the figures). */
  card: Scorecard | undefined;

  constructor(
    private readonly reportDir: string,
    private readonly stream: OutputStream = process.stdout,
  ) {}

  onInit(context: ReporterContext): void {
    const byName = new Map(context.scenarios.map((s) => [s.name, s]));
    this.scenarios = [...byName.values()];
  }

  onScenarioEnd(result: ScenarioResult): void {
    this.runs.push(result);
  }

  async onSuiteEnd(report: SuiteReport): Promise<void> {
    const card = computeScorecard(this.scenarios, this.runs, report.runtime);
    this.card = card;
    await writeReportFile(this.reportDir, SCORECARD_JSON_FILE, `${JSON.stringify(card, null, 2)}\n`);
    await writeReportFile(this.reportDir, SCORECARD_HTML_FILE, renderScorecardHtml(card));
    const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)}%`);
    const lines = [
      '',
      `detection coverage ${pct(card.coverage.ratio)} (${card.coverage.detectedRuns}/${card.coverage.runs} fault runs)`,
      `precision          ${pct(card.precision.ratio)} (${card.precision.expected}/${card.precision.fired} firings expected)`,
      `baseline           ${card.baseline.falsePositives} false positive(s) in ${card.baseline.runs} run(s)`,
      ...Object.entries(card.mttdByAlert).map(([alert, s]) => {
        // MTTD as a fraction of the modelled ceiling (issue 15): p50 and the worst run.
        const f = card.ofCeilingByAlert[alert];
        const frac = f?.p50 != null && f.max !== null ? `  = ${f.p50.toFixed(2)}× ceiling (max ${f.max.toFixed(2)}×)` : '';
        return `MTTD ${alert.padEnd(26)} p50 ${s.p50?.toFixed(1)}s  p95 ${s.p95?.toFixed(1)}s${frac}  (${s.samples} runs)`;
      }),
      `scorecard: ${this.reportDir}/${SCORECARD_HTML_FILE}`,
    ];
    for (const l of lines) this.stream.write(`${l}\n`);
  }
}
