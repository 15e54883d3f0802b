import { afterEach, describe, expect, it } from 'vitest';
import type { Scenario } from '../../../scripts/scenario/model.ts';
import { observeCorrelation, observeLogs, observeTrace } from '../../../scripts/scenario/observers/lgtm.ts';
import { TimelineRecorder, type EventOf, type TimelineEvent } from '../../../scripts/scenario/timeline.ts';
import { evaluateExpectations } from '../../../scripts/scenario/verdict.ts';
import { startLgtmStandIn, type LgtmStandIn } from '../../helpers/lgtm-stand-ins.ts';

/**
 * Issue 17: trace, log and correlation expectations count only data produced after the
 * scenario's start, judged on the data's own timestamps. The backends are stand-ins (Loki and
 * Tempo cannot run here; test/helpers/lgtm-stand-ins.ts models Tempo 3.0's search window), holding
 * data from an earlier run. Before the fix every one of these expectations passed on that data.
 */
const q = '{ resource.service.name = "api-gateway" && status = error }';
const logQuery = '{service_name="ml-service"} |= "error"';
const scenario: Scenario = {
  name: 'stale',
  file: 'stale.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: 30, mttrSeconds: null },
  load: { rate: 1, durationSeconds: 10, requests: [] },
  faults: [{ type: 'errors', service: 'ml-service', atSeconds: 0, durationSeconds: null, params: { ratio: 1 } }],
  expectations: [
    { kind: 'trace', service: 'api-gateway', span: null, status: 'error', query: q, withinSeconds: 30 },
    { kind: 'logs', query: logQuery, min: 3, withinSeconds: 30 },
    { kind: 'correlation', withinSeconds: 30 },
  ],
  repeat: { runs: 1, percentile: 100 },
};

let standIn: LgtmStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

/** A scenario clock whose origin (scenario start, first fault) is now. */
function scenarioTimeline(): { timeline: TimelineRecorder; fromMs: number } {
  const timeline = new TimelineRecorder();
  const fromMs = Date.now();
  timeline.record({ kind: 'scenario-start', scenario: 'stale' }, fromMs);
  timeline.record({ kind: 'fault-start', fault: 'errors', service: 'ml-service', id: 'f1' }, fromMs);
  return { timeline, fromMs };
}
const of = <K extends TimelineEvent['kind']>(tl: TimelineRecorder, kind: K) => tl.events.filter((e): e is EventOf<K> => e.kind === kind);
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
const id = (n: number) => n.toString(16).padStart(32, '0');

describe('trace expectations and Tempo 3.0’s search window', () => {
  it('do not count a trace from an earlier run that Tempo’s default query_end_cutoff puts in the window', async () => {
    standIn = await startLgtmStandIn({ tempoQueryEndCutoffSeconds: 30 });
    standIn.traces.push({ traceId: id(1), startMs: Date.now() - 120_000 });
    const { timeline, fromMs } = scenarioTimeline();
    const obs = observeTrace(standIn.url, q, fromMs, timeline, 25);
    await until(() => standIn!.tempoWindows.length >= 3);
    await obs.stop();
    // The mechanism of the issue: the window Tempo searched lies before the scenario start.
    expect(standIn.tempoWindows[0]!.start).toBeLessThan(fromMs / 1000 - 60);
    expect(of(timeline, 'trace-found')).toEqual([]);
    expect(of(timeline, 'stale-data')).toEqual([expect.objectContaining({ backend: 'tempo', query: q, count: 1 })]);
    const [trace] = evaluateExpectations(scenario, timeline.events);
    expect(trace!.passed).toBe(false);
    expect(trace!.message).toMatch(/Tempo found no such trace since the scenario started \(it returned 1 from before the start, newest at .*Z: not counted\)/);
  });

  it('find a trace produced after the start as soon as the window reaches it, never the stale one', async () => {
    // A 1 s cutoff: the fresh trace is hidden for a second, the stale one is in the window at once.
    standIn = await startLgtmStandIn({ tempoQueryEndCutoffSeconds: 1 });
    standIn.traces.push({ traceId: id(2), startMs: Date.now() - 60_000 });
    const { timeline, fromMs } = scenarioTimeline();
    standIn.traces.push({ traceId: id(3), startMs: fromMs + 100 });
    const obs = observeTrace(standIn.url, q, fromMs, timeline, 25);
    await until(() => of(timeline, 'trace-found').length > 0);
    await obs.stop();
    expect(of(timeline, 'trace-found')).toEqual([expect.objectContaining({ traceId: id(3) })]);
    expect(of(timeline, 'trace-found')[0]!.t).toBeGreaterThan(0.9);
  });

  it('with query_end_cutoff 0 (compose/tempo/tempo.yaml), search the scenario’s own window from the first poll', async () => {
    standIn = await startLgtmStandIn({ tempoQueryEndCutoffSeconds: 0 });
    standIn.traces.push({ traceId: id(4), startMs: Date.now() - 60_000 });
    const { timeline, fromMs } = scenarioTimeline();
    standIn.traces.push({ traceId: id(5), startMs: fromMs + 50 });
    await new Promise((r) => setTimeout(r, 100));
    const obs = observeTrace(standIn.url, q, fromMs, timeline, 25);
    await until(() => of(timeline, 'trace-found').length > 0);
    await obs.stop();
    expect(standIn.tempoWindows[0]!.start).toBe(Math.floor(fromMs / 1000));
    expect(of(timeline, 'trace-found')).toEqual([expect.objectContaining({ traceId: id(5) })]);
  });
});

describe('log expectations', () => {
  it('count only lines stamped after the start, whatever the backend returns', async () => {
    standIn = await startLgtmStandIn();
    const { timeline, fromMs } = scenarioTimeline();
    for (let i = 1; i <= 4; i++) standIn.lines.push({ atMs: fromMs - i * 1000, line: '{"level":"error","msg":"from the last run"}' });
    standIn.lines.push({ atMs: fromMs + 10, line: '{"level":"error","msg":"now"}' });
    const obs = observeLogs(standIn.url, logQuery, fromMs, timeline, 25);
    await until(() => of(timeline, 'log-match').length > 0 && of(timeline, 'stale-data').length > 0);
    await new Promise((r) => setTimeout(r, 100));
    await obs.stop();
    expect(of(timeline, 'log-match').map((e) => e.lines)).toEqual([1]);
    expect(of(timeline, 'stale-data')).toEqual([expect.objectContaining({ backend: 'loki', query: logQuery, count: 4 })]);
    const logs = evaluateExpectations(scenario, timeline.events)[1]!;
    expect(logs.passed).toBe(false);
    expect(logs.message).toMatch(/Loki returned only 1 matching line since the scenario started \(and 4 from before the start, newest at .*Z: not counted\)/);
  });
});

describe('correlation expectations', () => {
  it('do not resolve a link through an exemplar or a log line from before the start', async () => {
    standIn = await startLgtmStandIn();
    const { timeline, fromMs } = scenarioTimeline();
    // An earlier run's exemplar and log line, whose traces Tempo still holds.
    standIn.traces.push({ traceId: id(6), startMs: fromMs - 30_000 }, { traceId: id(7), startMs: fromMs - 20_000 });
    standIn.exemplars.push({ atMs: fromMs - 30_000, traceId: id(6) });
    standIn.lines.push({ atMs: fromMs - 20_000, line: '{"msg":"old"}', traceId: id(7) });
    const urls = { prometheus: standIn.url, loki: standIn.url, tempo: standIn.url };
    const obs = observeCorrelation(urls, fromMs, timeline, 25);
    await new Promise((r) => setTimeout(r, 300));
    await obs.stop();
    const links = of(timeline, 'correlation-link');
    expect(links.filter((l) => l.resolved)).toEqual([]);
    expect(links.find((l) => l.link === 'exemplars')!.reason).toMatch(/no exemplar on http_server_request_duration_seconds_bucket since the scenario start carries a trace_id \(1 from before the start, newest at .*Z: not counted\)/);
    expect(links.find((l) => l.link === 'logs')!.reason).toMatch(/no Loki line since the scenario start carries a trace_id \(1 from before the start, newest at .*Z: not counted\)/);
    expect(evaluateExpectations(scenario, timeline.events)[2]!.passed).toBe(false);
  });

  it('resolve both links once fresh ones arrive', async () => {
    standIn = await startLgtmStandIn();
    const { timeline, fromMs } = scenarioTimeline();
    standIn.traces.push({ traceId: id(8), startMs: fromMs - 30_000 });
    standIn.exemplars.push({ atMs: fromMs - 30_000, traceId: id(8) });
    standIn.lines.push({ atMs: fromMs - 30_000, line: '{"msg":"old"}', traceId: id(8) });
    const obs = observeCorrelation({ prometheus: standIn.url, loki: standIn.url, tempo: standIn.url }, fromMs, timeline, 25);
    await new Promise((r) => setTimeout(r, 150));
    standIn.traces.push({ traceId: id(9), startMs: fromMs + 100 });
    standIn.exemplars.push({ atMs: fromMs + 100, traceId: id(9) });
    standIn.lines.push({ atMs: fromMs + 100, line: '{"msg":"new"}', traceId: id(9) });
    await until(() => of(timeline, 'correlation-link').filter((l) => l.resolved).length === 2);
    await obs.stop();
    expect(of(timeline, 'correlation-link').map((l) => [l.link, l.traceId]).sort()).toEqual([
      ['exemplars', id(9)],
      ['logs', id(9)],
    ]);
  });
});
