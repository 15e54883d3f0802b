import type { Outcome, Reporter, ScenarioResult, SuiteReport } from '../scenario/result.ts';
import { escapeXml as esc } from './escape.ts';
import { bounds, closingLine, countOutcomes, failureSummary, ofCeilingText, seconds } from './format.ts';
import { plotColors, renderTimelinePlot } from './plot.ts';
import { writeReportFile } from './write-file.ts';

export const HTML_REPORT_FILE = 'report.html';

/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, fonts or links to
 * anything outside it), so it opens from a CI artifact with no network.
 */
export function renderHtml(report: SuiteReport): string {
  const counts = countOutcomes(report.scenarios);
  const title = `Sandbox report: ${closingLine(counts)}${counts.errored ? `, ${counts.errored} errored` : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Observability sandbox report</h1>
<p class="suite"><span class="badge ${report.passed ? 'passed' : 'failed'}">${report.passed ? 'PASSED' : 'NOT PASSED'}</span>
${esc(closingLine(counts))}${counts.errored ? `, ${counts.errored} errored` : ''} · runtime ${esc(report.runtime)} · started ${esc(report.startedAt)} · ${esc(seconds(report.durationSeconds))}</p>
</header>
${summaryTable(report.scenarios)}
${LEGEND}
${report.scenarios.map((s, i) => scenarioSection(s, i)).join('\n')}
</body>
</html>
`;
}

const anchor = (i: number) => `scenario-${i + 1}`;
const badge = (o: Outcome) => `<span class="badge ${o}">${o}</span>`;

function summaryTable(scenarios: readonly ScenarioResult[]): string {
  if (!scenarios.length) return '<p class="empty">No scenarios ran.</p>';
  const rows = scenarios.map((s, i) => {
    const m = s.metrics;
    const b = bounds(m.detectionFloorSeconds, m.detectionCeilingSeconds);
    const nb = bounds(m.notificationFloorSeconds ?? null, m.notificationCeilingSeconds ?? null);
    const frac = ofCeilingText(m.mttdOfCeiling);
    return `<tr><td><a href="#${anchor(i)}">${esc(s.name)}</a></td><td>${badge(s.outcome)}</td><td>${esc(seconds(m.mttdSeconds))}${frac ? ` = ${esc(frac)}` : ''}${b ? ` <span class="muted">(${esc(b)})</span>` : ''}</td><td>${esc(seconds(m.timeToNotifySeconds))}${nb ? ` <span class="muted">(${esc(nb)})</span>` : ''}</td><td>${esc(seconds(m.timeToRemediateSeconds))}</td><td>${esc(seconds(m.mttrSeconds))}</td><td>${esc(seconds(s.targets.mttdSeconds))} / ${esc(seconds(s.targets.mttrSeconds))}</td></tr>`;
  });
  return `<table class="summary"><thead><tr><th>scenario</th><th>outcome</th><th>MTTD = ×ceiling (floor–ceiling)</th><th>notify (floor–ceiling)</th><th>remediate</th><th>MTTR</th><th>targets MTTD / MTTR</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function scenarioSection(s: ScenarioResult, i: number): string {
  const parts = [
    `<section class="scenario ${s.outcome}" id="${anchor(i)}">`,
    `<h2>${badge(s.outcome)} ${esc(s.name)}</h2>`,
    `<p class="muted">${s.description ? `${esc(s.description)} · ` : ''}${esc(s.file)} · ran ${esc(seconds(s.durationSeconds))}${s.outcome === 'failed' ? ` · ${esc(failureSummary(s))}` : ''}</p>`,
  ];
  if (s.error) {
    parts.push(`<div class="error"><strong>${esc(s.error.code)}</strong>: ${esc(s.error.message)}${s.error.hint ? `<br><span class="muted">hint: ${esc(s.error.hint)}</span>` : ''}</div>`);
  }
  parts.push(metricCards(s), expectationTable(s), `<h3>Timeline</h3>`, renderTimelinePlot(s), eventList(s), '</section>');
  return parts.join('\n');
}

function metricCards(s: ScenarioResult): string {
  const m = s.metrics;
  const over = (v: number | null, limit: number | null) => v !== null && limit !== null && v > limit;
  const card = (label: string, value: number | null, note: string, bad: boolean) =>
    `<div class="metric${bad ? ' bad' : ''}"><div class="label">${esc(label)}</div><div class="value">${esc(seconds(value))}</div><div class="note">${esc(note)}</div></div>`;
  const detection = [
    m.detectionFloorSeconds !== null ? `floor ${seconds(m.detectionFloorSeconds)}` : '',
    m.detectionCeilingSeconds !== null ? `ceiling ${seconds(m.detectionCeilingSeconds)}` : '',
    ofCeilingText(m.mttdOfCeiling),
    s.targets.mttdSeconds !== null ? `target ${seconds(s.targets.mttdSeconds)}` : '',
  ].filter(Boolean);
  const notification = [
    (m.notificationFloorSeconds ?? null) !== null ? `floor ${seconds(m.notificationFloorSeconds)}` : '',
    (m.notificationCeilingSeconds ?? null) !== null ? `ceiling ${seconds(m.notificationCeilingSeconds)}` : '',
  ].filter(Boolean);
  const cards = [
    card('MTTD', m.mttdSeconds, detection.join(' · ') || 'first fault → alert firing', over(m.mttdSeconds, s.targets.mttdSeconds)),
    card('Time to notify', m.timeToNotifySeconds, notification.join(' · ') || 'first fault → first delivery', false),
    card('Time to remediate', m.timeToRemediateSeconds, 'first fault → remediation succeeded', false),
    card('MTTR', m.mttrSeconds, s.targets.mttrSeconds !== null ? `target ${seconds(s.targets.mttrSeconds)}` : 'first fault → alert resolved', over(m.mttrSeconds, s.targets.mttrSeconds)),
  ];
  if (s.load) {
    const l = s.load;
    const lat = l.latencyMs ? ` · p50 ${l.latencyMs.p50} ms, p95 ${l.latencyMs.p95} ms, p99 ${l.latencyMs.p99} ms` : '';
    cards.push(`<div class="metric"><div class="label">Load</div><div class="value">${esc(l.rate)} req/s</div><div class="note">${esc(`${l.sent} sent, ${l.failed} failed${lat}`)}</div></div>`);
  }
  return `<div class="metrics">${cards.join('')}</div>`;
}

function expectationTable(s: ScenarioResult): string {
  if (!s.expectations.length) return s.outcome === 'errored' || s.outcome === 'skipped' ? '' : '<p class="empty">No expectations were judged.</p>';
  const rows = s.expectations.map(
    (e) =>
      `<tr class="${e.passed ? 'ok' : 'miss'}"><td>${e.passed ? '✓' : '✗'}</td><td>${esc(e.kind)}</td><td>${esc(e.name)}</td><td>${e.observedSeconds === null ? 'never' : esc(seconds(e.observedSeconds))}</td><td>${esc(seconds(e.withinSeconds))}</td><td>${e.ceilingSeconds === undefined ? '' : esc(`${ofCeilingText(e.ofCeiling) || '—'} (${bounds(e.floorSeconds ?? null, e.ceilingSeconds)})`)}</td><td>${esc(e.message)}</td></tr>`,
  );
  return `<table class="expectations"><thead><tr><th></th><th>kind</th><th>expectation</th><th>observed</th><th>within</th><th>×ceiling (floor–ceiling)</th><th>message</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function eventList(s: ScenarioResult): string {
  if (!s.timeline.length) return '';
  const rows = s.timeline.map((e) => `<tr><td class="num">${esc(e.t.toFixed(3))}</td><td>${esc(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(e.detail)}</td></tr>`);
  return `<details><summary>${s.timeline.length} timeline events</summary><table class="events"><thead><tr><th>t (s)</th><th>at (UTC)</th><th>kind</th><th>detail</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></details>`;
}

const swatch = (color: string, label: string, shape: 'bar' | 'dot' | 'line' = 'bar') =>
  `<span class="key"><span class="sw ${shape}" style="background:${color}"></span>${esc(label)}</span>`;

const LEGEND = `<p class="legend">${[
  swatch(plotColors.load, 'load'),
  swatch(plotColors.fault, 'fault window'),
  swatch(plotColors.pending, 'alert pending'),
  swatch(plotColors.firing, 'alert firing'),
  swatch(plotColors.resolved, 'resolved / succeeded / process start', 'line'),
  swatch(plotColors.notifyFiring, 'notification', 'dot'),
  swatch(plotColors.exit, 'process exit (✕)', 'line'),
  swatch(plotColors.target, 'target (from first fault)', 'line'),
  swatch(plotColors.band, 'detection floor–ceiling'),
].join(' ')} · remediation actions are diamonds; a dashed edge means still active when the scenario ended</p>`;

const CSS = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d2328;background:#fff}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:0 0 4px}h3{font-size:14px;margin:16px 0 4px}
.muted,.note{color:#5f6b76}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;text-transform:uppercase;color:#fff;vertical-align:middle}
.badge.passed{background:#1e8449}.badge.failed{background:#c0392b}.badge.errored{background:#7d3c98}.badge.skipped{background:#7f8c8d}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e7eb;vertical-align:top}
th{font-size:12px;color:#5f6b76;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.miss td{background:#fdecea}tr.ok td:first-child{color:#1e8449}tr.miss td:first-child{color:#c0392b;font-weight:700}
.scenario{border:1px solid #d5dbe1;border-left:6px solid #7f8c8d;border-radius:6px;padding:12px 16px;margin:20px 0}
.scenario.passed{border-left-color:#1e8449}.scenario.failed{border-left-color:#c0392b}.scenario.errored{border-left-color:#7d3c98}
.metrics{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.metric{border:1px solid #e3e7eb;border-radius:6px;padding:6px 12px;min-width:140px}
.metric .label{font-size:12px;color:#5f6b76}.metric .value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.metric.bad{border-color:#c0392b}.metric.bad .value{color:#c0392b}
.error{background:#f5eef8;border:1px solid #7d3c98;border-radius:6px;padding:8px 12px;margin:8px 0}
.legend{font-size:12px;color:#5f6b76}.key{white-space:nowrap;margin-right:10px}
.sw{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
.sw.dot{width:10px;border-radius:50%}.sw.line{width:4px;height:12px}
svg.timeline-plot{display:block;border:1px solid #e3e7eb;border-radius:4px;background:#fff}
details{margin-top:8px}summary{cursor:pointer;color:#5f6b76}
.empty{color:#5f6b76;font-style:italic}
`;

/** Writes report.html into the report dir when the suite ends. */
export class HtmlReporter implements Reporter {
  readonly name = 'html';
  private readonly reportDir: string;

  constructor(reportDir: string) {
    this.reportDir = reportDir;
  }

  async onSuiteEnd(report: SuiteReport): Promise<void> {
    await writeReportFile(this.reportDir, HTML_REPORT_FILE, renderHtml(report));
  }
}
