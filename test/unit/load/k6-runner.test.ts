import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadDriver } from '../../../scripts/load/driver.ts';
import type { LoadProfile } from '../../../scripts/load/profile.ts';
import { findK6, runK6 } from '../../../scripts/load/k6/runner.ts';
import { parseK6Summary } from '../../../scripts/load/k6/summary.ts';
import { caught } from '../../helpers/errors.ts';

const profile: LoadProfile = {
  rate: 10,
  durationSeconds: 1,
  requests: [{ method: 'POST', path: '/predict', weight: 1 }],
  baseUrl: 'http://127.0.0.1:9',
  body: () => ({ x: 1 }),
  engine: 'k6',
};

/** A k6 summary export as `k6 run --summary-export` writes it (legacy format). */
const EXPORT = {
  root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: {}, checks: {} },
  metrics: {
    http_reqs: { count: 600, rate: 9.98 },
    http_req_failed: { passes: 12, fails: 588, value: 0.02 },
    http_req_duration: { avg: 14.2, min: 1.1, med: 8.4567, max: 812.5, 'p(90)': 30.1, 'p(95)': 41.25, 'p(99)': 250.75 },
    dropped_iterations: { count: 3, rate: 0.05 },
    iterations: { count: 600, rate: 9.98 },
    sandbox_status_2xx: { count: 580, rate: 9.6 },
    sandbox_status_4xx: { count: 8, rate: 0.1 },
    sandbox_status_5xx: { count: 10, rate: 0.2 },
    sandbox_status_timeout: { count: 2, rate: 0.03 },
  },
};

describe('k6 summary export', () => {
  it('maps http_reqs, http_req_failed (passes = failed requests), http_req_duration and dropped_iterations to LoadSummary', () => {
    expect(parseK6Summary(EXPORT)).toEqual({
      sent: 600,
      ok: 588,
      failed: 12,
      dropped: 3,
      statusCounts: { '2xx': 580, '4xx': 8, '5xx': 10, timeout: 2 },
      latencyMs: { p50: 8.457, p95: 41.25, p99: 250.75, max: 812.5 },
    });
  });

  it('falls back to value × count, and reads an empty run as zeros', () => {
    const { passes: _p, fails: _f, ...rateOnly } = EXPORT.metrics.http_req_failed;
    expect(parseK6Summary({ metrics: { ...EXPORT.metrics, http_req_failed: rateOnly } }).failed).toBe(12);
    expect(parseK6Summary({ metrics: {} })).toMatchObject({ sent: 0, failed: 0, latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 } });
    expect(() => parseK6Summary({ nope: 1 })).toThrow(/not a k6 summary export/);
  });
});

describe('k6 runner', () => {
  it('without k6 on PATH: BINARY_MISSING naming the install page and engine: builtin', async () => {
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'no-k6-'));
    try {
      expect(findK6()).toBeNull();
      const e = caught(() => new LoadDriver(profile));
      expect(e.code).toBe('BINARY_MISSING');
      expect(e.exitCode).toBe(3);
      expect(e.message).toBe('load.engine is k6, but the k6 binary was not found on PATH');
      expect(e.hint).toContain('https://grafana.com/docs/k6/latest/set-up/install-k6/');
      expect(e.hint).toContain('engine: builtin');
      await expect(runK6(profile)).rejects.toMatchObject({ code: 'BINARY_MISSING' });
    } finally {
      process.env.PATH = path;
    }
  });

  it('refuses a non-loopback target before looking for k6', async () => {
    await expect(runK6({ ...profile, baseUrl: 'http://192.0.2.1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('runs `k6 run --quiet --summary-export <file> <script>` and reads the export back (a stand-in k6)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-k6-'));
    const fake = join(dir, 'k6');
    // Records its arguments and environment, then writes the export where it was told to.
    writeFileSync(
      fake,
      `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(join(dir, 'args.json'))}, JSON.stringify({ args, env: Object.keys(process.env).filter((k) => k.startsWith('K6_')) }));
fs.writeFileSync(args[args.indexOf('--summary-export') + 1], ${JSON.stringify(JSON.stringify(EXPORT))});
`,
    );
    chmodSync(fake, 0o755);
    process.env.K6_OUT = 'cloud';
    const work = mkdtempSync(join(tmpdir(), 'k6-work-'));
    try {
      const summary = await runK6(profile, { binary: fake, workDir: work });
      expect(summary).toMatchObject({ sent: 600, failed: 12, latencyMs: { p95: 41.25 } });
    } finally {
      delete process.env.K6_OUT;
    }
    const { args, env } = JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8')) as { args: string[]; env: string[] };
    expect(args).toEqual(['run', '--quiet', '--no-usage-report', '--summary-export', join(work, 'summary.json'), join(work, 'load.js')]);
    expect(env).toEqual(['K6_NO_USAGE_REPORT']);
    expect(readFileSync(join(work, 'load.js'), 'utf8')).toContain("executor\": \"constant-arrival-rate\"");
  });

  it('a k6 that exits without a summary is an error with its stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-k6-'));
    const fake = join(dir, 'k6');
    writeFileSync(fake, `#!${process.execPath}\nconsole.error('SyntaxError: boom');\nprocess.exit(107);\n`);
    chmodSync(fake, 0o755);
    await expect(runK6(profile, { binary: fake })).rejects.toMatchObject({ code: 'COMPONENT_DIED', message: expect.stringContaining('code 107'), details: ['SyntaxError: boom'] });
  });
});
