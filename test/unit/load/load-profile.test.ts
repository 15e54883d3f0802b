import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSandboxError, type SandboxError } from '../../../scripts/core/errors.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'load-profile-'));
function write(name: string, load: string): string {
  const f = join(dir, name);
  writeFileSync(f, `name: ${name.replace('.yaml', '')}\nload:\n${load}expect:\n  - noOtherAlerts: true\n`);
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

describe('scenario load profile', () => {
  it('`{ rate, duration, requests }` is still a constant arrival rate on the builtin engine', () => {
    const s = loadScenario(write('plain.yaml', '  rate: 20\n  duration: 90s\n  requests:\n    - { method: POST, path: /predict, weight: 8 }\n'));
    expect(s.load).toEqual({
      rate: 20,
      durationSeconds: 90,
      requests: [{ method: 'POST', path: '/predict', weight: 8 }],
      executor: 'constant-arrival-rate',
      engine: 'builtin',
    });
  });

  it('ramping-arrival-rate: startRate and stages in seconds; rate is the peak; engine k6', () => {
    const s = loadScenario(
      write(
        'ramp.yaml',
        '  executor: ramping-arrival-rate\n  engine: k6\n  startRate: 5\n  stages:\n    - { target: 50, duration: 30s }\n    - { target: 20, duration: 1m }\n  duration: 2m\n',
      ),
    );
    expect(s.load).toEqual({
      rate: 50,
      durationSeconds: 120,
      requests: [{ method: 'POST', path: '/predict', weight: 1 }],
      executor: 'ramping-arrival-rate',
      engine: 'k6',
      startRate: 5,
      stages: [
        { target: 50, durationSeconds: 30 },
        { target: 20, durationSeconds: 60 },
      ],
    });
  });

  it('reports every load problem at once with file:line:col, key path and allowed values', () => {
    const f = write(
      'bad.yaml',
      [
        '  executor: ramping',
        '  engine: jmeter',
        '  rate: 5',
        '  duration: 30s',
        '',
      ].join('\n'),
    );
    expect(problems(f).details).toEqual([
      `${f}:3:3: load.executor: unknown executor "ramping"; allowed: constant-arrival-rate, ramping-arrival-rate`,
      `${f}:4:3: load.engine: unknown engine "jmeter"; allowed: builtin, k6`,
    ]);

    const g = write(
      'cross.yaml',
      [
        '  rate: 2000',
        '  stages:',
        '    - { target: 10, duration: 20s }',
        '  startRate: 1',
        '  duration: 30s',
        '',
      ].join('\n'),
    );
    expect(problems(g).details).toEqual([
      `${g}:3:3: load.rate: at most 1000 requests per second (got 2000)`,
      `${g}:4:3: load.stages: stages needs executor: ramping-arrival-rate (this load uses the default executor, constant-arrival-rate); allowed executors: constant-arrival-rate, ramping-arrival-rate`,
      `${g}:6:3: load.startRate: startRate needs executor: ramping-arrival-rate (this load uses the default executor, constant-arrival-rate); allowed executors: constant-arrival-rate, ramping-arrival-rate`,
    ]);
  });

  it('ramping: stages required, no rate, stages within the duration, targets at most 1000 rps', () => {
    const f = write('no-stages.yaml', '  executor: ramping-arrival-rate\n  rate: 5\n  duration: 30s\n');
    expect(problems(f).details).toEqual([
      `${f}:2:1: load.stages: missing stages, required by executor ramping-arrival-rate: stages: [{ target: <requests per second>, duration: 30s }]`,
      `${f}:4:3: load.rate: rate is for executor constant-arrival-rate; with ramping-arrival-rate use startRate and stages: [{ target, duration }]`,
    ]);
    const g = write(
      'long.yaml',
      '  executor: ramping-arrival-rate\n  stages:\n    - { target: 1001, duration: 20s }\n    - { target: 10, duration: 20s, hold: 1 }\n  duration: 30s\n',
    );
    expect(problems(g).details).toEqual([
      `${g}:4:3: load.stages: the stages last 40s in all, longer than load.duration 30s; shorten them or lengthen the duration (after the last stage its target holds until the duration ends)`,
      `${g}:5:9: load.stages[0].target: at most 1000 requests per second (got 1001)`,
      `${g}:6:36: load.stages[1].hold: unknown key "hold"`,
    ]);
  });

  it('constant without a rate names the missing key', () => {
    const f = write('no-rate.yaml', '  duration: 30s\n');
    expect(problems(f).details).toEqual([
      `${f}:2:1: load.rate: missing rate (requests per second), required by the default executor, constant-arrival-rate; or set executor: ramping-arrival-rate with startRate and stages`,
    ]);
  });
});
