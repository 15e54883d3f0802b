import type { Outcome, Reporter, ScenarioResult, SuiteReport } from '../scenario/result.ts';
import type { TimelineEvent, TimelineEventKind } from '../scenario/timeline.ts';
import { bounds, closingLine, countOutcomes, expectationLine, failureSummary, ofCeilingText, seconds } from './format.ts';

/** What the terminal reporter writes to: process.stdout by default, a collector in tests. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface TerminalOptions {
  stream?: OutputStream;
  /** Only each scenario's start and result (and the summary), not every timeline event. */
  quiet?: boolean;
  /** Default: on when the stream is a TTY and NO_COLOR is not set (https://no-color.org). */
  color?: boolean;
}

const ansi = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
type Color = keyof typeof ansi;

const kindColor: Record<TimelineEventKind, Color> = {
  'scenario-start': 'gray',
  'scenario-end': 'gray',
  'load-start': 'gray',
  'load-end': 'gray',
  'fault-start': 'magenta',
  'fault-end': 'magenta',
  'alert-pending': 'yellow',
  'alert-firing': 'red',
  'alert-resolved': 'green',
  'background-alert': 'gray',
  notification: 'cyan',
  remediation: 'blue',
  'process-exit': 'red',
  'process-start': 'green',
  'slo-budget': 'cyan',
  'log-match': 'cyan',
  'trace-found': 'cyan',
  'correlation-link': 'cyan',
  'query-error': 'red',
  'stale-data': 'gray',
};

const outcomeLabel: Record<Outcome, [string, Color]> = {
  passed: ['PASS', 'green'],
  failed: ['FAIL', 'red'],
  errored: ['ERROR', 'red'],
  skipped: ['SKIP', 'yellow'],
};

/**
 * Live progress while scenarios run and a summary table at the end. The last line is the
 * `N passed, N failed[, N skipped]` form CI tooling matches, never colored.
 */
export class TerminalReporter implements Reporter {
  readonly name = 'terminal';
  private readonly stream: OutputStream;
  private readonly quiet: boolean;
  private readonly color: boolean;
  // Scenarios may run in parallel sandboxes; event lines then carry the scenario's name.
  private readonly running = new Set<string>();

  constructor(options: TerminalOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.quiet = options.quiet ?? false;
    this.color = options.color ?? (this.stream.isTTY === true && !process.env.NO_COLOR);
  }

  onScenarioStart(name: string): void {
    this.running.add(name);
    this.line(`${this.paint('bold', 'RUN')}   ${name}`);
  }

  onEvent(scenario: string, event: TimelineEvent): void {
    if (this.quiet) return;
    const prefix = this.running.size > 1 ? `[${scenario}] ` : '';
    const t = `${event.t.toFixed(2)}s`.padStart(9);
    this.line(`  ${prefix}${this.paint('gray', t)}  ${this.paint(kindColor[event.kind], event.kind.padEnd(14))}  ${event.detail}`);
  }

  onScenarioEnd(result: ScenarioResult): void {
    this.running.delete(result.name);
    const [label, color] = outcomeLabel[result.outcome];
    const m = result.metrics;
    const parts = [`${this.paint(color, label.padEnd(5))} ${result.name}`, `in ${seconds(result.durationSeconds)}`];
    if (result.outcome === 'passed' || result.outcome === 'failed') parts.push(`MTTD ${seconds(m.mttdSeconds)}`, `MTTR ${seconds(m.mttrSeconds)}`);
    if (result.outcome === 'failed') parts.push(failureSummary(result));
    if (result.error) parts.push(`[${result.error.code}] ${result.error.message}`);
    this.line(parts.join('  '));
  }

  onSuiteEnd(report: SuiteReport): void {
    const counts = countOutcomes(report.scenarios);
    const out: string[] = ['', `Summary (${report.runtime} runtime, ${report.scenarios.length} scenario${report.scenarios.length === 1 ? '' : 's'} in ${seconds(report.durationSeconds)})`];
    if (report.scenarios.length) out.push(...this.table(report.scenarios), ...this.alertBounds(report.scenarios));
    for (const s of report.scenarios) out.push(...this.problems(s));
    // Attached stacks: what was left out of the verdict, so nobody wonders why a firing alert did not count.
    const background = [...new Set(report.scenarios.flatMap((s) => (s.backgroundAlerts ?? []).map((b) => `${b.alert} (${b.reason === 'firing-before-start' ? 'firing before the scenario' : 'not about the sandbox'})`)))];
    if (background.length > 0) out.push(this.paint('gray', `background alerts, not judged: ${background.join(', ')}`));
    out.push('');
    if (counts.errored) {
      const names = report.scenarios.filter((s) => s.outcome === 'errored').map((s) => s.name);
      out.push(this.paint('red', `${counts.errored} errored (the sandbox could not run: ${names.join(', ')})`));
    }
    out.push(closingLine(counts));
    for (const l of out) this.line(l);
  }

  private table(scenarios: readonly ScenarioResult[]): string[] {
    const header = ['scenario', 'outcome', 'MTTD = ×ceiling (floor–ceiling)', 'notify (floor–ceiling)', 'remediate', 'MTTR', 'targets MTTD/MTTR'];
    const rows = scenarios.map((s) => {
      const m = s.metrics;
      const b = bounds(m.detectionFloorSeconds, m.detectionCeilingSeconds);
      const frac = ofCeilingText(m.mttdOfCeiling);
      const mttd = `${seconds(m.mttdSeconds)}${frac ? ` = ${frac}` : ''}${b ? ` (${b})` : ''}`;
      const nb = bounds(m.notificationFloorSeconds ?? null, m.notificationCeilingSeconds ?? null);
      const notify = `${seconds(m.timeToNotifySeconds)}${nb ? ` (${nb})` : ''}`;
      const [, color] = outcomeLabel[s.outcome];
      return [
        s.name,
        this.paint(color, s.outcome),
        this.paint(this.mttdColor(s), mttd),
        this.paint(over(m.timeToNotifySeconds, m.notificationCeilingSeconds ?? null) ? 'yellow' : undefined, notify),
        seconds(m.timeToRemediateSeconds),
        this.paint(over(m.mttrSeconds, s.targets.mttrSeconds) ? 'red' : undefined, seconds(m.mttrSeconds)),
        `${seconds(s.targets.mttdSeconds)} / ${seconds(s.targets.mttrSeconds)}`,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i]!).length)));
    const fmt = (cells: string[]) => `  ${cells.map((c, i) => c + ' '.repeat(widths[i]! - visible(c).length)).join('  ')}`.trimEnd();
    return [this.paint('bold', fmt(header)), ...rows.map(fmt)];
  }

  /**
   * Every alert expectation against the detection model's bounds: the time it was seen firing
   * as a fraction of its ceiling (over 1: slower than the configuration explains).
   */
  private alertBounds(scenarios: readonly ScenarioResult[]): string[] {
    const rows = scenarios.flatMap((s) =>
      s.expectations
        .filter((e) => e.kind === 'alert' && e.ceilingSeconds !== undefined)
        .map((e) => {
          const frac = ofCeilingText(e.ofCeiling);
          const late = e.ofCeiling !== null && e.ofCeiling !== undefined && e.ofCeiling > 1;
          return `  ${s.name}  ${e.name}  ${seconds(e.observedSeconds)}${frac ? ` = ${this.paint(late ? 'yellow' : undefined, frac)}` : ''}  (floor ${seconds(e.floorSeconds)}, ceiling ${seconds(e.ceilingSeconds)})`;
        }),
    );
    return rows.length > 0 ? ['', this.paint('bold', 'Detection per alert (seen firing, as a fraction of the modelled ceiling)'), ...rows] : [];
  }

  /** Missed targets stand out; detection slower than the configuration's ceiling is a warning. */
  private mttdColor(s: ScenarioResult): Color | undefined {
    const { mttdSeconds, detectionCeilingSeconds } = s.metrics;
    if (over(mttdSeconds, s.targets.mttdSeconds)) return 'red';
    if (over(mttdSeconds, detectionCeilingSeconds)) return 'yellow';
    return undefined;
  }

  /** Under the table: every unmet expectation and every error, naming expected and observed. */
  private problems(s: ScenarioResult): string[] {
    if (s.outcome === 'failed') {
      const lines = [`${this.paint('red', 'FAIL')} ${s.name}: ${failureSummary(s)}`];
      for (const e of s.expectations.filter((x) => !x.passed)) lines.push(`  ${this.paint('red', '✗')} ${expectationLine(e)}`);
      return lines;
    }
    if (s.outcome === 'errored') {
      const lines = [`${this.paint('red', 'ERROR')} ${s.name}: [${s.error?.code ?? 'ERRORED'}] ${s.error?.message ?? 'the sandbox could not run this scenario'}`];
      if (s.error?.hint) lines.push(`  hint: ${s.error.hint}`);
      return lines;
    }
    if (s.outcome === 'skipped' && s.error) {
      const lines = [`${this.paint('yellow', 'SKIP')} ${s.name}: ${s.error.message}`];
      if (s.error.hint) lines.push(`  hint: ${s.error.hint}`);
      return lines;
    }
    return [];
  }

  private paint(color: Color | undefined, text: string): string {
    return this.color && color ? `\x1b[${ansi[color]}m${text}\x1b[0m` : text;
  }

  private line(text: string): void {
    this.stream.write(`${text}\n`);
  }
}

const over = (value: number | null, limit: number | null) => value !== null && limit !== null && value > limit;

// eslint-disable-next-line no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
