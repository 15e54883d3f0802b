import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSandboxError, type SandboxError } from '../../../scripts/core/errors.ts';
import { scenarioFilesIn, BUILTIN_SCENARIO_DIR } from '../../../scripts/scenario/discover.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import { prepareScenarios } from '../../../scripts/scenario/suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'scenario-loader-'));
function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
function problems(file: string): SandboxError {
  try {
    loadScenario(file);
  } catch (e) {
    if (isSandboxError(e)) return e;
    throw e;
  }
  throw new Error('expected the scenario to be rejected');
}

const valid = `name: ok
targets: { mttd: 10s, mttr: 30s }
load:
  rate: 5
  duration: 20s
faults:
  - type: crash
    service: ml-service
    at: 5s
expect:
  - alert: ServiceDown
    labels: { service: ml-service }
  - resolved: { alert: ServiceDown }
`;

describe('scenario loader', () => {
  it('accepts a valid file and converts durations to seconds', () => {
    const s = loadScenario(write('ok.yaml', valid));
    expect(s.load).toMatchObject({ rate: 5, durationSeconds: 20 });
    expect(s.faults[0]).toMatchObject({ type: 'crash', service: 'ml-service', atSeconds: 5, durationSeconds: null });
    expect(s.targets).toEqual({ mttdSeconds: 10, mttrSeconds: 30 });
    expect(s.expectations.map((e) => e.kind)).toEqual(['alert', 'resolved']);
  });

  it('names file, line and key for an unknown key', () => {
    const f = write('unknown-key.yaml', valid.replace('  duration: 20s', '  duration: 20s\n  burst: 3'));
    const e = problems(f);
    expect(e.code).toBe('INVALID_SCENARIO');
    expect(e.exitCode).toBe(2);
    expect(e.details).toEqual([expect.stringMatching(new RegExp(`^${f}:6:3: load\\.burst: unknown key "burst"`))]);
  });

  it('names file, line and key for a bad duration', () => {
    const f = write('bad-duration.yaml', valid.replace('at: 5s', 'at: 5 seconds'));
    expect(problems(f).details).toEqual([expect.stringMatching(new RegExp(`^${f}:9:5: faults\\[0\\]\\.at: expected a duration like 500ms, 30s or 2m`))]);
  });

  it('lists the allowed fault types for an unknown fault', () => {
    const f = write('unknown-fault.yaml', valid.replace('type: crash', 'type: explode'));
    const [line] = problems(f).details;
    expect(line).toMatch(new RegExp(`^${f}:7:5: faults\\[0\\]\\.type: unknown fault type "explode"; allowed: latency, errors, crash, crash-loop, bad-model, memory-leak, cpu-burn, dependency-outage`));
  });

  it('lists the services for an unknown service', () => {
    const f = write('unknown-service.yaml', valid.replace('service: ml-service\n    at', 'service: billing\n    at'));
    expect(problems(f).details).toEqual([expect.stringMatching(new RegExp(`^${f}:8:5: faults\\[0\\]\\.service: unknown service "billing"; allowed: ml-service, api-gateway`))]);
  });

  it('reports every problem at once, in file order, with fault params checked per type', () => {
    const f = write(
      'many.yaml',
      `name: Many Problems
load: { rate: 5, duration: 20s }
faults:
  - { type: latency, service: ml-service, at: 2s, params: { delay: slow, colour: red } }
expect:
  - alrt: X
`,
    );
    const e = problems(f);
    expect(e.message).toMatch(/4 problems/);
    expect(e.details.map((d) => d.replace(`${f}:`, ''))).toEqual([
      expect.stringMatching(/^1:1: name: use lower-case/),
      expect.stringMatching(/^4:61: faults\[0\]\.params\.delay: expected a duration/),
      expect.stringMatching(/^4:74: faults\[0\]\.params\.colour: unknown key "colour" for fault latency; allowed: delay, jitter, ratio, route/),
      expect.stringMatching(/^6:5: expect\[0\]\.alrt: unknown expectation "alrt"; use one of alert, notification, remediation, resolved, noOtherAlerts/),
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const f = write('syntax.yaml', 'name: x\nload: [unclosed\n');
    expect(problems(f).details[0]).toMatch(new RegExp(`^${f}:\\d+:\\d+: YAML syntax`));
  });

  it('rejects a fault scheduled after the scenario ends', () => {
    const f = write('late.yaml', valid.replace('at: 5s', 'at: 25s'));
    expect(problems(f).details[0]).toMatch(/faults\[0\]\.at: the fault starts at 25s, after the scenario ends/);
  });

  it('names a missing file', () => {
    expect(problems(join(dir, 'nope.yaml')).message).toMatch(/cannot read scenario file .*nope\.yaml: ENOENT/);
  });

  it('loads every built-in scenario', () => {
    const files = scenarioFilesIn(BUILTIN_SCENARIO_DIR);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(() => loadScenario(f)).not.toThrow();
  });
});

describe('repeat and slo keys', () => {
  it('reads repeat as a count or with a percentile, and an slo bound as a share', () => {
    const s = loadScenario(write('rep.yaml', `${valid}  - slo: { name: api-gateway-availability, maxBudgetBurned: 12.5% }\nrepeat: { runs: 3, percentile: 90 }\n`));
    expect(s.repeat).toEqual({ runs: 3, percentile: 90 });
    expect(s.expectations.at(-1)).toEqual({ kind: 'slo', slo: 'api-gateway-availability', maxBudgetBurned: 0.125 });
    expect(loadScenario(write('rep2.yaml', `${valid}repeat: 4\n`)).repeat).toEqual({ runs: 4, percentile: 100 });
    expect(loadScenario(write('rep3.yaml', valid)).repeat).toEqual({ runs: 1, percentile: 100 });
  });

  it('names an unknown SLO, a bad bound and a bad repeat, with line and key', () => {
    const e = problems(write('bad-rep.yaml', `${valid}  - slo: { name: checkout, maxBudgetBurned: 12.5% }\n  - slo: { name: api-gateway-latency, maxBudgetBurned: half }\nrepeat: { runs: 0 }\n`));
    const text = e.details.join('\n');
    expect(text).toMatch(/bad-rep\.yaml:14:\d+: expect\[2\]\.slo\.name: unknown SLO "checkout"; allowed: api-gateway-availability, api-gateway-latency/);
    expect(text).toMatch(/bad-rep\.yaml:15:\d+: expect\[3\]\.slo\.maxBudgetBurned: expected a percentage/);
    expect(text).toMatch(/bad-rep\.yaml:16:\d+: repeat/);
  });
});

describe('problems found after loading point at the line too', () => {
  it('an impossible target and an undefined alert name their expectation by file:line:col and key path', () => {
    const f = write(
      'impossible.yaml',
      valid.replace('    labels: { service: ml-service }\n', '    labels: { service: ml-service }\n    within: 1s\n').replace('  - resolved: { alert: ServiceDown }', '  - alert: NoSuchAlert'),
    );
    let error: SandboxError | undefined;
    try {
      prepareScenarios([f], () => undefined);
    } catch (e) {
      if (isSandboxError(e)) error = e;
    }
    expect(error?.details).toEqual([
      expect.stringMatching(new RegExp(`^${f}:11:5: expect\\[0\\]: alert ServiceDown must fire within 1s, but it cannot be seen firing sooner than 2s: for 2s, on the evaluation grid 2s`)),
      expect.stringMatching(new RegExp(`^${f}:14:5: expect\\[1\\]: alert NoSuchAlert is not defined by any loaded rule file`)),
    ]);
  });

  it('a duplicate scenario name points at the second file\'s name key', () => {
    const a = write('dup-a.yaml', valid);
    const b = write('dup-b.yaml', valid);
    expect(() => prepareScenarios([a, b], () => undefined)).toThrow(new RegExp(`^${b}:1:1: name: scenario name "ok" is already used by ${a}$`));
  });
});
