import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScenarioResult } from '../../../scripts/scenario/result.ts';
import { TerminalReporter } from '../../../scripts/reporters/terminal.ts';
import { erroredCrash, failedCrash, passedCrash, skipped, suite } from './fixtures.ts';

function capture(isTTY = false) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (s: string) => chunks.push(s) }, lines: () => chunks.join('').split('\n').slice(0, -1) };
}

/** Drive a reporter the way the runner does: start, every event, end. */
function run(reporter: TerminalReporter, results: ScenarioResult[]): void {
  for (const r of results) {
    reporter.onScenarioStart(r.name);
    for (const e of r.timeline) reporter.onEvent(r.name, e);
    reporter.onScenarioEnd(r);
  }
  reporter.onSuiteEnd(suite(results));
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;
const CLOSING = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

afterEach(() => vi.unstubAllEnvs());

describe('terminal reporter', () => {
  it('prints one line per timeline event with its time and detail', () => {
    const out = capture();
    const r = new TerminalReporter({ stream: out.stream });
    r.onScenarioStart('service-crash');
    for (const e of passedCrash().timeline) r.onEvent('service-crash', e);
    const lines = out.lines();
    expect(lines[0]).toBe('RUN   service-crash');
    expect(lines.slice(1)).toHaveLength(passedCrash().timeline.length);
    expect(lines).toContain('      5.43s  fault-start     crash on ml-service');
    expect(lines).toContain('      8.54s  alert-firing    ServiceDown firing {service="ml-service"}');
    expect(lines.join('\n')).not.toMatch(ANSI);
  });

  it('ends each scenario with its outcome, time and MTTD/MTTR or error', () => {
    const out = capture();
    run(new TerminalReporter({ stream: out.stream, quiet: true }), [passedCrash(), failedCrash(), erroredCrash(), skipped()]);
    const lines = out.lines();
    expect(lines).toContain('PASS  service-crash  in 31.2s  MTTD 3.1s  MTTR 12.6s');
    expect(lines).toContain('FAIL  service-crash-no-remediation  in 36.1s  MTTD 3.1s  MTTR —  3 of 6 expectations failed');
    expect(lines).toContain('ERROR latency-spike  in 15.9s  [INJECTION_FAILED] chaos API of ml-service answered 503 to POST /chaos/latency');
    expect(lines).toContain('SKIP  dependency-outage  in 0s');
  });

  it('in quiet mode prints only scenario start and end before the summary', () => {
    const out = capture();
    run(new TerminalReporter({ stream: out.stream, quiet: true }), [passedCrash()]);
    const beforeSummary = out.lines().slice(0, out.lines().indexOf(''));
    expect(beforeSummary).toEqual(['RUN   service-crash', 'PASS  service-crash  in 31.2s  MTTD 3.1s  MTTR 12.6s']);
  });

  it('summarises in a table with MTTD (as a fraction of its ceiling) and notify beside their floor–ceiling, MTTR and targets', () => {
    const out = capture();
    run(new TerminalReporter({ stream: out.stream, quiet: true }), [passedCrash(), failedCrash(), erroredCrash(), skipped()]);
    const lines = out.lines();
    const header = lines.findIndex((l) => l.trim().startsWith('scenario'));
    expect(lines[header]).toMatch(/^ {2}scenario +outcome +MTTD = ×ceiling \(floor–ceiling\) +notify \(floor–ceiling\) +remediate +MTTR +targets MTTD\/MTTR$/);
    const row = (name: string) => lines.slice(header + 1, header + 5).find((l) => l.trim().split(/\s+/)[0] === name)!.trim().split(/ {2,}/);
    expect(row('service-crash')).toEqual(['service-crash', 'passed', '3.1s = 0.78× ceiling (2s–4s)', '4.21s (3s–5s)', '4.9s', '12.6s', '10s / 30s']);
    expect(row('service-crash-no-remediation')).toEqual(['service-crash-no-remediation', 'failed', '3.1s = 0.78× ceiling (2s–4s)', '4.21s (3s–5s)', '—', '—', '10s / 30s']);
    expect(row('latency-spike')).toEqual(['latency-spike', 'errored', '— (2s–4s)', '— (3s–5s)', '—', '—', '30s / 120s']);
    expect(row('dependency-outage')).toEqual(['dependency-outage', 'skipped', '—', '—', '—', '—', '20s / —']);
    // Columns line up: every row's MTTD cell starts where the header's does.
    const col = lines[header]!.indexOf('MTTD');
    expect(lines.slice(header + 1, header + 5).map((l) => l.slice(col, col + 4))).toEqual(['3.1s', '3.1s', '— (2', '—   ']);
    // Each alert against its modelled ceiling, below the table.
    const perAlert = lines.indexOf('Detection per alert (seen firing, as a fraction of the modelled ceiling)');
    expect(lines.slice(perAlert + 1, perAlert + 3)).toEqual([
      '  service-crash  ServiceDown  3.1s = 0.78× ceiling  (floor 2s, ceiling 4s)',
      '  service-crash-no-remediation  ServiceDown  3.1s = 0.78× ceiling  (floor 2s, ceiling 4s)',
    ]);
  });

  it('names every unmet expectation and every error under the table', () => {
    const out = capture();
    run(new TerminalReporter({ stream: out.stream, quiet: true }), [passedCrash(), failedCrash(), erroredCrash()]);
    const text = out.lines().join('\n');
    expect(text).toContain('FAIL service-crash-no-remediation: 3 of 6 expectations failed');
    expect(text).toContain(
      '  ✗ remediation restart ml-service: expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run [observed never, within 20s]',
    );
    expect(text).toMatch(/ {2}✗ resolved ServiceDown: expected alert ServiceDown resolved within 30s/);
    expect(text).toContain('ERROR latency-spike: [INJECTION_FAILED] chaos API of ml-service answered 503 to POST /chaos/latency\n  hint: check `npx sandbox logs ml-service`');
    expect(text).not.toMatch(/✗ (alert|notification) /);
  });

  it('closes with exactly `N passed, N failed[, N skipped]`, errored counted on the line before', () => {
    const out = capture();
    run(new TerminalReporter({ stream: out.stream, quiet: true }), [passedCrash(), failedCrash(), erroredCrash(), skipped()]);
    const lines = out.lines();
    expect(lines.at(-1)).toBe('1 passed, 1 failed, 1 skipped');
    expect(lines.at(-2)).toBe('1 errored (the sandbox could not run: latency-spike)');

    const clean = capture();
    run(new TerminalReporter({ stream: clean.stream, quiet: true }), [passedCrash()]);
    expect(clean.lines().at(-1)).toBe('1 passed, 0 failed');
    expect(clean.lines().join('\n')).not.toMatch(/errored|skipped/);
  });

  it('colors events and outcomes on a TTY but never the closing line', () => {
    const out = capture(true);
    run(new TerminalReporter({ stream: out.stream }), [passedCrash(), failedCrash()]);
    const lines = out.lines();
    expect(lines.find((l) => l.includes('alert-firing'))).toMatch(/\x1b\[31malert-firing/);
    expect(lines.find((l) => l.includes('PASS'))).toMatch(/\x1b\[32mPASS/);
    expect(lines.at(-1)).toBe('1 passed, 1 failed');
    expect(lines.at(-1)).toMatch(CLOSING);
  });

  it('honours NO_COLOR on a TTY, and an explicit color option', () => {
    vi.stubEnv('NO_COLOR', '1');
    const tty = capture(true);
    run(new TerminalReporter({ stream: tty.stream }), [passedCrash()]);
    expect(tty.lines().join('\n')).not.toMatch(ANSI);

    vi.unstubAllEnvs();
    const forced = capture(false);
    run(new TerminalReporter({ stream: forced.stream, color: true }), [passedCrash()]);
    expect(forced.lines().join('\n')).toMatch(ANSI);
  });

  it('names the scenario on event lines while scenarios run in parallel', () => {
    const out = capture();
    const r = new TerminalReporter({ stream: out.stream });
    const [a, b] = [passedCrash('a'), failedCrash('b')];
    r.onScenarioStart('a');
    r.onEvent('a', a.timeline[2]!);
    r.onScenarioStart('b');
    r.onEvent('b', b.timeline[2]!);
    r.onScenarioEnd(a);
    r.onEvent('b', b.timeline[3]!);
    expect(out.lines()).toEqual([
      'RUN   a',
      '      5.43s  fault-start     crash on ml-service',
      'RUN   b',
      '  [b]     5.43s  fault-start     crash on ml-service',
      'PASS  a  in 31.2s  MTTD 3.1s  MTTR 12.6s',
      '      5.51s  process-exit    ml-service exited (code 1)',
    ]);
  });

  it('prints a closing line when nothing ran', () => {
    const out = capture();
    new TerminalReporter({ stream: out.stream }).onSuiteEnd(suite([]));
    expect(out.lines().at(-1)).toBe('0 passed, 0 failed');
  });
});
