import { appendFile } from 'node:fs/promises';
import { SandboxError } from '../core/errors.ts';
import type { Outcome, Reporter, ScenarioResult, SuiteReport } from '../scenario/result.ts';
import { escapeMarkdown as md } from './escape.ts';
import { closingLine, countOutcomes, ofCeilingText, seconds } from './format.ts';
import { writeReportFile } from './write-file.ts';

export const MARKDOWN_REPORT_FILE = 'report.md';

/**
 * GitHub refuses a step summary over 1 MiB (and then shows none); a bigger report keeps its
 * table and points at report.md for the failed expectations' messages.
 */
export const STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024;

const OUTCOME: Record<Outcome, string> = { passed: '✅ passed', failed: '❌ failed', errored: '⚠️ errored', skipped: '⏭️ skipped' };

/**
 * The suite as GitHub-flavoured Markdown: a verdict line and one table row per scenario, with
 * MTTD against its target and the detection model's ceiling (and as a fraction of it), and what failed, in the
 * expectation's own words. Every string from a scenario, an alert or a remote system is escaped.
 */
export function renderMarkdown(report: SuiteReport, options: { details?: boolean } = {}): string {
  const details = options.details ?? true;
  const counts = countOutcomes(report.scenarios);
  const lines = [
    `## Observability sandbox: ${report.passed ? '✅ passed' : '❌ not passed'}`,
    '',
    `${closingLine(counts)}${counts.errored ? `, ${counts.errored} errored` : ''} · ${md(report.runtime)} runtime · ${seconds(report.durationSeconds)}`,
    '',
  ];
  if (!report.scenarios.length) return `${[...lines, 'No scenarios ran.'].join('\n')}\n`;
  lines.push(
    '| Scenario | Outcome | MTTD (target · ceiling) | Time to notify | MTTR (target) | Failed expectations |',
    '| --- | --- | --- | --- | --- | --- |',
    ...report.scenarios.map((s) => row(s, details)),
  );
  if (!details) lines.push('', `The failed expectations' messages are in ${MARKDOWN_REPORT_FILE} in the report dir (too long for a step summary).`);
  return `${lines.join('\n')}\n`;
}

function row(s: ScenarioResult, details: boolean): string {
  const m = s.metrics;
  const frac = ofCeilingText(m.mttdOfCeiling);
  const mttd = `${seconds(m.mttdSeconds)}${frac ? ` = ${frac}` : ''}${paren([s.targets.mttdSeconds !== null ? `target ${seconds(s.targets.mttdSeconds)}` : '', m.detectionCeilingSeconds !== null ? `ceiling ${seconds(m.detectionCeilingSeconds)}` : ''])}`;
  const mttr = `${seconds(m.mttrSeconds)}${paren([s.targets.mttrSeconds !== null ? `target ${seconds(s.targets.mttrSeconds)}` : ''])}`;
  return `| ${md(s.name)} | ${OUTCOME[s.outcome]} | ${mttd} | ${seconds(m.timeToNotifySeconds)} | ${mttr} | ${problems(s, details)} |`;
}

const paren = (parts: string[]) => {
  const given = parts.filter(Boolean);
  return given.length ? ` (${given.join(' · ')})` : '';
};

/** The unmet expectations (or the error that kept the scenario from running), one per line of the cell. */
function problems(s: ScenarioResult, details: boolean): string {
  if (s.error) return `**${md(s.error.code)}**: ${md(s.error.message)}${s.error.hint ? ` (hint: ${md(s.error.hint)})` : ''}`;
  const failed = s.expectations.filter((e) => !e.passed);
  if (!details) return failed.length ? `${failed.length} of ${s.expectations.length}` : '';
  return failed.map((e) => `✗ ${md(e.kind)} ${md(e.name)}: ${md(e.message)}`).join('<br>');
}

/**
 * Writes report.md into the report dir and, when GITHUB_STEP_SUMMARY names a file (GitHub
 * Actions sets it for every step), appends the same summary there, as GitHub expects: other
 * steps' summaries in that file stay.
 */
export class MarkdownReporter implements Reporter {
  readonly name = 'markdown';

  constructor(
    private readonly reportDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async onSuiteEnd(report: SuiteReport): Promise<void> {
    const text = renderMarkdown(report);
    await writeReportFile(this.reportDir, MARKDOWN_REPORT_FILE, text);
    const summary = this.env.GITHUB_STEP_SUMMARY;
    if (!summary) return;
    const fits = Buffer.byteLength(text) < STEP_SUMMARY_LIMIT_BYTES;
    try {
      await appendFile(summary, `${fits ? text : renderMarkdown(report, { details: false })}\n`, 'utf8');
    } catch (e) {
      throw new SandboxError('WRITE_FAILED', `cannot append the summary to GITHUB_STEP_SUMMARY (${summary}): ${(e as Error).message}`, {
        hint: 'GITHUB_STEP_SUMMARY must name a file this user can write (GitHub Actions sets it); unset it outside Actions',
        cause: e,
      });
    }
  }
}
