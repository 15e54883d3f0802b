import type { Options } from 'k6/options';
import { describe, expect, it } from 'vitest';
import { isSandboxError } from '../../../scripts/core/errors.ts';
import { pickRequest, type RequestMixEntry } from '../../../scripts/load/profile.ts';
import { k6Options, k6Scenario, timeUnitScale } from '../../../scripts/load/k6/options.ts';
import { generateK6Script, type K6ScriptInput } from '../../../scripts/load/k6/script.ts';
import { predictBodies } from '../../../scripts/load/payloads.ts';

const MIX: RequestMixEntry[] = [
  { method: 'POST', path: '/predict', weight: 8 },
  { method: 'GET', path: '/health', weight: 2 },
];
const nextBody = predictBodies(7);
const base: K6ScriptInput = {
  rate: 20,
  durationSeconds: 90,
  requests: MIX,
  baseUrl: 'http://127.0.0.1:8080',
  body: (e) => (e.method === 'GET' ? undefined : nextBody()),
};

interface Sent {
  method: string;
  url: string;
  body: string | null;
  params: { headers: Record<string, string>; timeout: string };
}

/**
 * Evaluate the generated script with k6's modules stubbed: its imports become parameters, so
 * the test runs the real default function and sees the requests it would make.
 */
function evaluate(script: string) {
  const sent: Sent[] = [];
  const counters: Record<string, number> = {};
  let iteration = 0;
  const http = {
    request: (method: string, url: string, body: string | null, params: Sent['params']) => {
      sent.push({ method, url, body, params });
      return { status: url.endsWith('/health') ? 200 : 503, error_code: 0 };
    },
    setResponseCallback: () => undefined,
    expectedStatuses: () => undefined,
  };
  const exec = {
    scenario: {
      get iterationInTest() {
        return iteration;
      },
    },
  };
  class Counter {
    constructor(private readonly name: string) {}
    add(n: number) {
      counters[this.name] = (counters[this.name] ?? 0) + n;
    }
  }
  const body = script
    .replace(/^import .*$/gm, '')
    .replace('export const options =', 'const options =')
    .replace('export default function ()', 'function run()');
  const mod = new Function('http', 'exec', 'Counter', `${body}\nreturn { options, run };`)(http, exec, Counter) as { options: Options; run: () => void };
  return {
    options: mod.options,
    sent,
    counters,
    iterate(n: number) {
      for (iteration = 0; iteration < n; iteration++) mod.run();
    },
  };
}

describe('k6 script generator', () => {
  it('imports only k6 modules and exports options plus a default function', () => {
    const script = generateK6Script(base);
    expect(script.match(/^import .*$/gm)).toEqual([
      "import http from 'k6/http';",
      "import exec from 'k6/execution';",
      "import { Counter } from 'k6/metrics';",
    ]);
    expect(script).toContain('export const options = {');
    expect(script).toContain('export default function () {');
  });

  it('constant-arrival-rate: rate per 1s for the duration, VUs bounded', () => {
    const { options } = evaluate(generateK6Script(base));
    expect(options.scenarios).toEqual({
      load: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '90s', preAllocatedVUs: 5, maxVUs: 256, gracefulStop: '5s' },
    });
    expect(options).toMatchObject({ discardResponseBodies: true, maxRedirects: 0, summaryTrendStats: expect.arrayContaining(['med', 'p(95)', 'p(99)', 'max']) });
  });

  it('ramping-arrival-rate: startRate, stages as given, then a stage holding the last target until the duration ends', () => {
    const input: K6ScriptInput = {
      ...base,
      executor: 'ramping-arrival-rate',
      startRate: 2,
      stages: [
        { target: 50, durationSeconds: 30 },
        { target: 10, durationSeconds: 15 },
      ],
      durationSeconds: 60,
      maxVUs: 64,
    };
    const { options } = evaluate(generateK6Script(input));
    expect(options.scenarios!.load).toEqual({
      executor: 'ramping-arrival-rate',
      startRate: 2,
      timeUnit: '1s',
      stages: [
        { target: 50, duration: '30s' },
        { target: 10, duration: '15s' },
        { target: 10, duration: '15s' },
      ],
      preAllocatedVUs: 13,
      maxVUs: 64,
      gracefulStop: '5s',
    });
    // Stages filling the duration need no hold stage.
    const exact = k6Scenario({ ...input, durationSeconds: 45 });
    expect(exact.executor === 'ramping-arrival-rate' && exact.stages).toHaveLength(2);
  });

  it('fractional rates use a longer timeUnit instead of rounding', () => {
    expect(timeUnitScale([2, 0.5])).toBe(10);
    expect(k6Scenario({ rate: 0.25, durationSeconds: 60 })).toMatchObject({ rate: 25, timeUnit: '100s' });
    expect(k6Scenario({ executor: 'ramping-arrival-rate', rate: 0, startRate: 0.5, stages: [{ target: 3, durationSeconds: 10 }], durationSeconds: 10 })).toMatchObject({
      startRate: 5,
      timeUnit: '10s',
      stages: [{ target: 30, duration: '10s' }],
    });
  });

  it('the options object type-checks as k6 Options (@types/k6)', () => {
    const options: Options = k6Options({ rate: 1, durationSeconds: 1 });
    expect(Object.keys(options.scenarios!)).toEqual(['load']);
  });

  it('selects requests by weight, exactly as the builtin driver, against the loopback base URL', () => {
    const run = evaluate(generateK6Script(base));
    run.iterate(1000);
    expect(run.sent.map((s) => `${s.method} ${s.url}`)).toEqual(Array.from({ length: 1000 }, (_, i) => {
      const r = pickRequest(MIX, i);
      return `${r.method} http://127.0.0.1:8080${r.path}`;
    }));
    const posts = run.sent.filter((s) => s.method === 'POST').length;
    expect(posts).toBeGreaterThanOrEqual(795);
    expect(posts).toBeLessThanOrEqual(805);
    expect(run.sent.every((s) => s.params.timeout === '5000ms')).toBe(true);
    // Per-class counters feed statusCounts: /health answers 200, /predict 503 in this stub.
    expect(run.counters).toEqual({ sandbox_status_2xx: 1000 - posts, sandbox_status_5xx: posts });
  });

  it('sends JSON bodies from a pre-generated pool of 200 payloads (the sample services generator), none on GET', () => {
    const script = generateK6Script(base);
    const run = evaluate(script);
    run.iterate(500);
    const post = run.sent.filter((s) => s.method === 'POST');
    const get = run.sent.filter((s) => s.method === 'GET');
    expect(get.every((s) => s.body === null && !('content-type' in s.params.headers))).toBe(true);
    expect(post.every((s) => s.params.headers['content-type'] === 'application/json')).toBe(true);
    const bodies = post.map((s) => JSON.parse(s.body!) as { engineId: string; cycle: number; sensors: object; trueRul: number });
    expect(bodies[0]).toEqual({ engineId: expect.any(String), cycle: expect.any(Number), sensors: expect.any(Object), trueRul: expect.any(Number) });
    expect(new Set(post.map((s) => s.body)).size).toBe(200);
    // Bounded: the pool, not the run, sizes the script.
    expect(script.length).toBeLessThan(400_000);
  });

  it('refuses a base URL that is not loopback', () => {
    let error: unknown;
    try {
      generateK6Script({ ...base, baseUrl: 'http://example.com:8080' });
    } catch (e) {
      error = e;
    }
    expect(isSandboxError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toContain('not a loopback address');
  });
});
