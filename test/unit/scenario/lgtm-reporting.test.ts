import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../scripts/reporters/html.ts';
import { toReportDocument } from '../../../scripts/reporters/json.ts';
import { renderJunit } from '../../../scripts/reporters/junit.ts';
import { TerminalReporter } from '../../../scripts/reporters/terminal.ts';
import type { ScenarioResult, SuiteReport } from '../../../scripts/scenario/result.ts';
import { describe as describeEvent, type TimelineEvent, type TimelineEventBody } from '../../../scripts/scenario/timeline.ts';

const ev = (t: number, body: TimelineEventBody): TimelineEvent =>
  ({ ...body, t, at: new Date(Date.UTC(2026, 10, 22, 14, 0, 0) + t * 1000).toISOString(), detail: describeEvent(body) }) as TimelineEvent;

const q = '{service_name="ml-service"} |= "error"';
const result: ScenarioResult = {
  name: 'lgtm',
  file: 'scenarios/lgtm/error-traces.yaml',
  outcome: 'failed',
  targets: { mttdSeconds: null, mttrSeconds: null },
  metrics: { mttdSeconds: null, timeToNotifySeconds: null, timeToRemediateSeconds: null, mttrSeconds: null, detectionFloorSeconds: null, detectionCeilingSeconds: null, notificationFloorSeconds: null, notificationCeilingSeconds: null },
  expectations: [
    { kind: 'logs', name: q, passed: true, observedSeconds: 3, withinSeconds: 30, message: `a log line matching ${q} after 3s (within 30s)` },
    { kind: 'trace', name: '{ resource.service.name = "api-gateway" }', passed: true, observedSeconds: 4, withinSeconds: 30, message: 'a trace after 4s' },
    { kind: 'correlation', name: 'logs', passed: false, observedSeconds: null, withinSeconds: 60, message: 'logs → traces (Loki line trace_id in Tempo) failed: trace abc not found in Tempo (HTTP 404)' },
  ],
  timeline: [
    ev(0, { kind: 'scenario-start', scenario: 'lgtm' }),
    ev(5, { kind: 'fault-start', fault: 'errors', service: 'ml-service', id: 'f' }),
    ev(8, { kind: 'log-match', query: q, lines: 3 }),
    ev(9, { kind: 'trace-found', query: '{ resource.service.name = "api-gateway" }', traceId: 'abc123' }),
    ev(10, { kind: 'correlation-link', link: 'exemplars', resolved: true, traceId: 'abc123', reason: 'resolves in Tempo' }),
    ev(40, { kind: 'correlation-link', link: 'logs', resolved: false, traceId: null, reason: 'trace abc not found in Tempo (HTTP 404)' }),
    ev(41, { kind: 'scenario-end' }),
  ],
  durationSeconds: 41,
};
const report: SuiteReport = { passed: false, runtime: 'docker', startedAt: '2026-11-22T14:00:00.000Z', durationSeconds: 41, scenarios: [result] };

describe('reporters show logs, trace and correlation results and events', () => {
  it('report.json carries them through the contract keys', () => {
    const doc = toReportDocument(report);
    expect(doc.scenarios[0]!.expectations.map((e) => e.kind)).toEqual(['logs', 'trace', 'correlation']);
    expect(doc.scenarios[0]!.timeline.find((e) => e.kind === 'correlation-link' && e.resolved === false)).toMatchObject({ link: 'logs', detail: 'log line → trace: failed: trace abc not found in Tempo (HTTP 404)' });
  });

  it('JUnit, HTML and the terminal name the failed link', () => {
    expect(renderJunit(report)).toContain('correlation logs: logs → traces (Loki line trace_id in Tempo) failed: trace abc not found in Tempo (HTTP 404)');
    const html = renderHtml(report);
    expect(html).toContain('Loki: 3 lines match {service_name=&quot;ml-service&quot;} |= &quot;error&quot;');
    expect(html).toContain('Tempo: trace abc123 matches');
    let out = '';
    const t = new TerminalReporter({ stream: { write: (s: string) => (out += s) }, color: false });
    for (const e of result.timeline) t.onEvent('lgtm', e);
    t.onScenarioEnd(result);
    t.onSuiteEnd(report);
    expect(out).toMatch(/log-match\s+Loki: 3 lines match/);
    expect(out).toMatch(/✗ correlation logs: logs → traces .*HTTP 404/);
  });
});
