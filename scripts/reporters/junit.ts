import type { Reporter, ScenarioResult, SuiteReport } from '../scenario/result.ts';
import { escapeXml, escapeXmlAttr, escapeXmlText } from './escape.ts';
import { alertBoundsLines, countOutcomes, expectationLine, failureSummary, ofCeilingText, seconds } from './format.ts';
import { writeReportFile } from './write-file.ts';

export const JUNIT_REPORT_FILE = 'junit.xml';
export const JUNIT_CLASSNAME = 'sandbox.scenarios';

/**
 * junit.xml in the shape CI servers (GitHub Actions annotations, GitLab, Jenkins) read: a
 * <testsuites> root with one <testsuite>, one <testcase> per scenario. Failed expectations go
 * into <failure> with what was expected and observed; the sandbox being unable to run a
 * scenario is an <error>, not a failure, so a flaky environment is not mistaken for a
 * monitoring regression.
 */
export function renderJunit(report: SuiteReport): string {
  const c = countOutcomes(report.scenarios);
  const totals = `tests="${report.scenarios.length}" failures="${c.failed}" errors="${c.errored}" skipped="${c.skipped}" time="${secs(report.durationSeconds)}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sandbox" ${totals}>`,
    `  <testsuite name="${JUNIT_CLASSNAME}" ${totals} timestamp="${escapeXml(report.startedAt)}">`,
    '    <properties>',
    `      <property name="runtime" value="${escapeXml(report.runtime)}"/>`,
    '    </properties>',
    ...report.scenarios.flatMap(testcase),
    '  </testsuite>',
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

function testcase(s: ScenarioResult): string[] {
  const open = `    <testcase classname="${JUNIT_CLASSNAME}" name="${escapeXml(s.name)}" file="${escapeXml(s.file)}" time="${secs(s.durationSeconds)}">`;
  return [open, ...verdict(s), `      <system-out>${escapeXmlText(systemOut(s))}</system-out>`, '    </testcase>'];
}

function verdict(s: ScenarioResult): string[] {
  switch (s.outcome) {
    case 'passed':
      return [];
    case 'failed': {
      const failed = s.expectations.filter((e) => !e.passed);
      // The message attribute is what most CI UIs show in one line: name the first miss.
      const headline = failed[0] ? `${failureSummary(s)}: ${failed[0].message}` : 'scenario failed';
      const body = failed.map((e) => expectationLine(e)).join('\n');
      return [`      <failure type="ExpectationFailed" message="${escapeXmlAttr(headline)}">${escapeXmlText(body)}</failure>`];
    }
    case 'errored': {
      const code = s.error?.code ?? 'ERRORED';
      const message = s.error?.message ?? 'the sandbox could not run this scenario';
      const body = [`[${code}] ${message}`, ...(s.error?.hint ? [`hint: ${s.error.hint}`] : [])].join('\n');
      return [`      <error type="${escapeXml(code)}" message="${escapeXmlAttr(message)}">${escapeXmlText(body)}</error>`];
    }
    case 'skipped':
      return [s.error ? `      <skipped message="${escapeXmlAttr(s.error.message)}"/>` : '      <skipped/>'];
  }
}

/** The timeline and metrics as text, so a CI log viewer shows what happened without the HTML. */
function systemOut(s: ScenarioResult): string {
  const m = s.metrics;
  const lines = [
    `MTTD ${seconds(m.mttdSeconds)}${ofCeilingText(m.mttdOfCeiling) ? ` = ${ofCeilingText(m.mttdOfCeiling)}` : ''} (floor ${seconds(m.detectionFloorSeconds)}, ceiling ${seconds(m.detectionCeilingSeconds)}), ` +
      `notify ${seconds(m.timeToNotifySeconds)} (floor ${seconds(m.notificationFloorSeconds)}, ceiling ${seconds(m.notificationCeilingSeconds)}), remediate ${seconds(m.timeToRemediateSeconds)}, MTTR ${seconds(m.mttrSeconds)}`,
    ...s.expectations.map((e) => `${e.passed ? 'ok  ' : 'FAIL'} ${e.kind} ${e.name}: ${e.message}`),
    ...alertBoundsLines(s).map((l) => `detection ${l}`),
    'timeline:',
    ...s.timeline.map((e) => `${e.t.toFixed(3).padStart(9)}s  ${e.at}  ${e.kind.padEnd(14)}  ${e.detail}`),
  ];
  return `\n${lines.join('\n')}\n`;
}

const secs = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '0');

/** Writes junit.xml into the report dir when the suite ends. */
export class JunitReporter implements Reporter {
  readonly name = 'junit';
  private readonly reportDir: string;

  constructor(reportDir: string) {
    this.reportDir = reportDir;
  }

  async onSuiteEnd(report: SuiteReport): Promise<void> {
    await writeReportFile(this.reportDir, JUNIT_REPORT_FILE, renderJunit(report));
  }
}
