import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';

/**
 * Inputs are checked before anything starts, through the real CLI and the real promtool: the
 * exit code is 2, the message names the file (the rule file at its own line), nothing runs and
 * nothing is written.
 */
const dir = mkdtempSync(join(tmpdir(), 'security-inputs-'));
const env = { ...process.env, SANDBOX_STATE_DIR: join(dir, 'state'), NO_COLOR: '1' };
const BODY = 'targets: { mttd: 10s, mttr: 30s }\nload: { rate: 5, duration: 20s }\nfaults:\n  - { type: crash, service: ml-service, at: 5s }\nexpect:\n  - alert: ServiceDown\n';

function write(rel: string, text: string): string {
  const f = join(dir, rel);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, text);
  return f;
}

describe('scenario inputs, before anything starts', () => {
  it('a rule file with bad PromQL is refused with promtool’s error at the rule file’s own line', async () => {
    const rules = write('promql/bad.yml', 'groups:\n  - name: bad\n    rules:\n      - alert: Bad\n        expr: rate(up[1m]\n');
    const f = write('promql/bad-rules.yaml', `name: bad-rules\n${BODY}rules: [./bad.yml]\n`);
    const r = await runCli(['test', f, '--runtime', 'native'], env, 30_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(`rules[0]: rule file "./bad.yml" is invalid: ${rules}:5:15: group "bad", rule 1, "Bad": could not parse expression`);
    expect(r.stdout).not.toMatch(/runtime:/);
  });

  it('/etc/passwd as a rule file, `.`, and four missing files: all reported at once, exit 2', async () => {
    const f = write('paths/paths.yaml', `name: paths\n${BODY}rules: [/etc/passwd, ., a.yml, b.yml, c.yml, d.yml]\n`);
    const r = await runCli(['run', f, '--runtime', 'native'], env, 30_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/rules\[0\]: rule file "\/etc\/passwd" \(\/etc\/passwd\) is outside the scenario's directory/);
    expect(r.stderr).toMatch(/rules\[1\]: "\." is a directory/);
    for (const [i, n] of ['a', 'b', 'c', 'd'].entries()) expect(r.stderr).toContain(`rules[${i + 2}]: rule file "${n}.yml" not found`);
    expect(r.stderr).not.toMatch(/internal error|EISDIR/);
  });

  it('a YAML alias bomb is invalid input naming the file, not an internal error', async () => {
    const f = write('bomb.yaml', 'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n');
    const r = await runCli(['test', f, '--runtime', 'native'], env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`error\\[INVALID_SCENARIO\\]: ${f} is not a valid scenario`));
    expect(r.stderr).toMatch(/alias/i);
    expect(r.stderr).not.toMatch(/internal error|ReferenceError/);
  });

  it('`duration: 0s` and `mttd: 0s` are refused, quoting the value', async () => {
    const f = write('zero.yaml', 'name: zero\ntargets: { mttd: 0s }\nload: { rate: 5, duration: 0s }\nexpect:\n  - noOtherAlerts: true\n');
    const r = await runCli(['test', f, '--runtime', 'native'], env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${f}:2:12: targets.mttd: "0s" is zero`);
    expect(r.stderr).toContain(`${f}:3:18: load.duration: "0s" is zero`);
  });

  it('a --report-dir holding an earlier report is refused before anything starts', async () => {
    const reports = join(dir, 'reports');
    write('reports/report.json', '{"passed":true}');
    const r = await runCli(['test', 'scenarios/service-crash.yaml', '--runtime', 'native', '--report-dir', reports], env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error[INVALID_ARGUMENT]: --report-dir "${reports}" already holds report.json from an earlier run; refusing to overwrite it`);
    expect(r.stderr).toMatch(/hint: pass --force/);
    expect(existsSync(join(dir, 'state', 'owner.lock'))).toBe(false);
  });
});
