import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSandboxError, type SandboxError } from '../../../scripts/core/errors.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import { logqlProblem, parseNameMatcher, type Scenario } from '../../../scripts/scenario/model.ts';
import { caught } from '../../helpers/errors.ts';
import { checkBackends } from '../../../scripts/scenario/runner.ts';
import { describe as describeEvent, type TimelineEvent, type TimelineEventBody } from '../../../scripts/scenario/timeline.ts';
import { evaluateExpectations } from '../../../scripts/scenario/verdict.ts';

const dir = mkdtempSync(join(tmpdir(), 'scenario-lgtm-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const rejected = (file: string): SandboxError => {
  try {
    loadScenario(file);
  } catch (e) {
    if (isSandboxError(e)) return e;
    throw e;
  }
  throw new Error('expected the scenario to be rejected');
};

const base = `name: lgtm
load:
  rate: 5
  duration: 20s
faults:
  - type: errors
    service: ml-service
    at: 5s
    params: { ratio: 0.5 }
expect:
`;

describe('logs, trace and correlation expectations: loading', () => {
  it('accepts the documented forms and builds the TraceQL query', () => {
    const s = loadScenario(
      write(
        'ok.yaml',
        `${base}  - logs: { query: '{service_name="ml-service"} |= "error"', within: 30s, min: 2 }
  - trace: { service: api-gateway, span: POST /predict, status: error, within: 30s }
  - trace: { service: ml-service }
  - correlation: true
  - correlation: { within: 1m }
`,
      ),
    );
    expect(s.expectations).toEqual([
      { kind: 'logs', query: '{service_name="ml-service"} |= "error"', min: 2, withinSeconds: 30 },
      { kind: 'trace', service: 'api-gateway', span: 'POST /predict', status: 'error', query: '{ resource.service.name = "api-gateway" && name = "POST /predict" && status = error }', withinSeconds: 30 },
      { kind: 'trace', service: 'ml-service', span: null, status: null, query: '{ resource.service.name = "ml-service" }', withinSeconds: null },
      { kind: 'correlation', withinSeconds: null },
      { kind: 'correlation', withinSeconds: 60 },
    ]);
  });

  it('rejects a LogQL query without a stream selector, with file:line:col and key path', () => {
    const f = write('no-selector.yaml', `${base}  - logs: { query: 'error', within: 30s }\n`);
    expect(rejected(f).details).toEqual([expect.stringMatching(new RegExp(`^${f}:11:13: expect\\[0\\]\\.logs\\.query: invalid LogQL "error": a LogQL query starts with a stream selector`))]);
  });

  it('rejects bad trace and correlation entries, all at once, each located', () => {
    const f = write(
      'bad.yaml',
      `${base}  - trace: { service: nope, within: 30s }
  - trace: { service: api-gateway, status: failed }
  - correlation: { within: soon }
  - correlation: false
  - logs: { query: '{}', min: 0 }
`,
    );
    const d = rejected(f).details;
    expect(d).toEqual([
      expect.stringMatching(new RegExp(`^${f}:11:14: expect\\[0\\]\\.trace\\.service: unknown service "nope"; allowed: .*api-gateway`)),
      expect.stringMatching(new RegExp(`^${f}:12:\\d+: expect\\[1\\]\\.trace\\.status: unknown status "failed"; allowed: ok, error, unset`)),
      expect.stringMatching(new RegExp(`^${f}:13:\\d+: expect\\[2\\]\\.correlation`)),
      expect.stringMatching(new RegExp(`^${f}:14:\\d+: expect\\[3\\]\\.correlation`)),
      expect.stringMatching(new RegExp(`^${f}:15:\\d+: expect\\[4\\]\\.logs\\.min`)),
    ]);
  });

  it('checks the basic shape of LogQL', () => {
    expect(logqlProblem('{service_name="ml-service"} |= "x"')).toBeNull();
    expect(logqlProblem('{a="1", b=~"x|y"} | json')).toBeNull();
    expect(logqlProblem('{}')).toMatch(/empty/);
    expect(logqlProblem('{service_name="a"')).toMatch(/not closed/);
    expect(logqlProblem('{service_name}')).toMatch(/invalid label matcher "service_name"/);
    // Past the selector, Grafana's LogQL grammar judges the pipeline.
    expect(logqlProblem('{service_name="ml-service"} |~ "(?i)error" | json | level="error"')).toBeNull();
    expect(logqlProblem('{service_name="ml-service"} | trace_id != ""')).toBeNull();
    expect(logqlProblem('{service_name="ml-service"} |= error')).toMatch(/^not valid LogQL at \d+: /);
    expect(logqlProblem('{service_name="ml-service"} | json |')).toMatch(/^not valid LogQL/);
    expect(logqlProblem('{service_name="ml-service"} |= "x" )')).toMatch(/^not valid LogQL/);
  });
});

const ev = (t: number, body: TimelineEventBody): TimelineEvent =>
  ({ ...body, t, at: new Date(Date.UTC(2026, 10, 22, 14, 0, 0) + t * 1000).toISOString(), detail: describeEvent(body) }) as TimelineEvent;

const q = '{service_name="ml-service"} |= "error"';
const tq = '{ resource.service.name = "api-gateway" && status = error }';
const scenario: Scenario = {
  name: 'lgtm',
  file: 'lgtm.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: 20, mttrSeconds: null },
  load: { rate: 5, durationSeconds: 40, requests: [] },
  faults: [{ type: 'errors', service: 'ml-service', atSeconds: 5, durationSeconds: null, params: { ratio: 0.5 } }],
  expectations: [
    { kind: 'logs', query: q, min: 3, withinSeconds: 10 },
    { kind: 'trace', service: 'api-gateway', span: null, status: 'error', query: tq, withinSeconds: null },
    { kind: 'correlation', withinSeconds: 30 },
  ],
  repeat: { runs: 1, percentile: 100 },
};
const start = [ev(0, { kind: 'scenario-start', scenario: 'lgtm' }), ev(5, { kind: 'fault-start', fault: 'errors', service: 'ml-service', id: 'f' })];

describe('logs, trace and correlation expectations: verdict', () => {
  it('passes when each was observed in time, counting from the first fault', () => {
    const r = evaluateExpectations(scenario, [
      ...start,
      ev(7, { kind: 'log-match', query: q, lines: 1 }),
      ev(9, { kind: 'log-match', query: q, lines: 4 }),
      ev(11, { kind: 'trace-found', query: tq, traceId: 'abc' }),
      ev(8, { kind: 'correlation-link', link: 'exemplars', resolved: true, traceId: 't1', reason: 'resolves in Tempo' }),
      ev(12, { kind: 'correlation-link', link: 'logs', resolved: true, traceId: 't2', reason: 'resolves in Tempo' }),
    ]);
    expect(r.map((x) => [x.kind, x.passed, x.observedSeconds, x.withinSeconds])).toEqual([
      ['logs', true, 4, 10],
      ['trace', true, 6, 20],
      ['correlation', true, 7, 30],
    ]);
    expect(r[2]!.message).toContain('exemplar trace t1 and log line trace t2 resolve in Tempo');
  });

  it('fails with what was seen: too few lines, a refused search, a missing or late link', () => {
    const r = evaluateExpectations(scenario, [
      ...start,
      ev(8, { kind: 'log-match', query: q, lines: 2 }),
      ev(9, { kind: 'query-error', backend: 'tempo', query: tq, message: 'HTTP 400: parse error' }),
      ev(40, { kind: 'correlation-link', link: 'exemplars', resolved: true, traceId: 't1', reason: 'resolves in Tempo' }),
      ev(41, { kind: 'correlation-link', link: 'logs', resolved: false, traceId: null, reason: 'trace t9 not found in Tempo (HTTP 404)' }),
    ]);
    expect(r.every((x) => !x.passed)).toBe(true);
    expect(r[0]!.message).toMatch(/at least 3 log lines .* but Loki returned only 2 matching lines/);
    expect(r[1]!.message).toMatch(/Tempo refused the search: HTTP 400: parse error/);
    expect(r[2]!.message).toMatch(/metrics → traces .* failed: resolved only after 35s \(within 30s\)/);
    expect(r[2]!.message).toMatch(/logs → traces .* failed: trace t9 not found in Tempo \(HTTP 404\)/);
    expect(r[2]!.name).toBe('exemplars, logs');
  });

  it('ignores what was found before the first fault', () => {
    const [logs] = evaluateExpectations(scenario, [
      ev(0, { kind: 'scenario-start', scenario: 'lgtm' }),
      ev(2, { kind: 'log-match', query: q, lines: 5 }),
      ev(5, { kind: 'fault-start', fault: 'errors', service: 'ml-service', id: 'f' }),
    ]);
    expect(logs!.passed).toBe(false);
  });
});

describe('backend preconditions', () => {
  const withMl = (over: Partial<Scenario>): Scenario => ({ ...scenario, ...over });
  it('throws COMPONENT_UNAVAILABLE (the scenario is skipped) naming the component, its reason and the install hint', () => {
    const e = caught(() =>
      checkBackends(
        scenario,
        [
          { name: 'loki', state: 'unavailable', reason: 'no loki or loki-linux-amd64 or loki-linux-arm64 binary on PATH' },
          { name: 'tempo', state: 'ready', url: 'http://127.0.0.1:3200' },
        ],
        'native',
      ),
    );
    expect(e.code).toBe('COMPONENT_UNAVAILABLE');
    expect(e.message).toMatch(/^scenario lgtm needs loki \(for its logs, correlation expectations\), which is unavailable here: no loki .* binary on PATH$/);
    expect(e.hint).toMatch(/^download a Loki release binary .* or use `--runtime docker`$/);
  });

  it('prefers the component status hint: an image that could not be pulled says how to get it', () => {
    const e = caught(() =>
      checkBackends(
        withMl({ expectations: [scenario.expectations[1]!] }),
        [{ name: 'tempo', state: 'unavailable', reason: 'image grafana/tempo:3.0.3 could not be pulled: the registry cannot be reached', hint: 'once online, `docker pull grafana/tempo:3.0.3`' }],
        'docker',
      ),
    );
    expect(e.message).toContain('which is unavailable here: image grafana/tempo:3.0.3 could not be pulled');
    expect(e.hint).toBe('once online, `docker pull grafana/tempo:3.0.3`');
  });

  it('passes when the needed backends are ready, and needs none for other kinds', () => {
    expect(() => checkBackends(scenario, [{ name: 'loki', state: 'ready', url: 'u' }, { name: 'tempo', state: 'ready', url: 'u' }], 'docker')).not.toThrow();
    const plain = withMl({ expectations: [{ kind: 'alert', alert: parseNameMatcher('X'), labels: {}, withinSeconds: null }] });
    expect(() => checkBackends(plain, [], 'native')).not.toThrow();
  });

  it('says where --attach stands', () => {
    try {
      checkBackends(withMl({ expectations: [scenario.expectations[1]!] }), [{ name: 'tempo', state: 'unavailable', reason: 'attached to an existing stack: the sandbox runs none of its own', hint: 'run without --attach to get it' }], 'attached');
      throw new Error('expected an error');
    } catch (e) {
      expect(isSandboxError(e) && e.message).toMatch(/needs tempo \(for its trace expectation\), which is unavailable here: attached to an existing stack/);
      expect(isSandboxError(e) && e.hint).toBe('give --tempo-url with --attach, or run without --attach');
    }
  });
});
