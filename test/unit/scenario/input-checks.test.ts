import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../scripts/core/errors.ts';
import { chooseReportDir } from '../../../scripts/reporters/report-dir.ts';
import { loadScenario } from '../../../scripts/scenario/loader.ts';
import { allowedRuleFiles } from '../../../scripts/scenario/rule-files.ts';
import { prepareScenarios } from '../../../scripts/scenario/suite.ts';
import { caught } from '../../helpers/errors.ts';

/**
 * Every scenario input is checked before anything starts (issue 14, deliverable 5): rule files
 * stay inside the scenario's tree or the project, YAML that explodes or throws becomes an
 * invalid-input error naming the file, zero and absurd durations are refused, and each
 * message quotes the offending value. (promtool's part runs against the real promtool in
 * test/integration/security/inputs.test.ts.)
 */
const root = mkdtempSync(join(tmpdir(), 'input-checks-'));
function scenario(dir: string, name: string, extra: string, body = BODY): string {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, name);
  writeFileSync(f, `name: ${name.replace(/\.yaml$/, '')}\n${body}${extra}`);
  return f;
}
const BODY = `targets: { mttd: 10s, mttr: 30s }
load: { rate: 5, duration: 20s }
faults:
  - { type: crash, service: ml-service, at: 5s }
expect:
  - alert: ServiceDown
`;
const RULES = 'groups:\n  - name: g\n    rules:\n      - alert: Extra\n        expr: up == 0\n';
const load = (f: string, allowed?: Set<string>) => loadScenario(f, { promtool: false, ...(allowed ? { allowedRules: allowed } : {}) });

describe('rule files named by a scenario', () => {
  it('refuses absolute and ../ paths out of the scenario tree, directories, and symlinks that lead out', () => {
    const outside = join(root, 'outside-rules.yml');
    writeFileSync(outside, RULES);
    const dir = join(root, 'suite');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    symlinkSync(outside, join(dir, 'link.yml'));
    const f = scenario(dir, 'paths.yaml', `rules: [/etc/passwd, ../outside-rules.yml, ., ./sub, ./link.yml]\n`);
    const e = caught(() => load(f));
    expect(e.code).toBe('INVALID_SCENARIO');
    expect(e.exitCode).toBe(ExitCode.invalidInput);
    expect(e.details).toEqual([
      expect.stringMatching(/:8:9: rules\[0\]: rule file "\/etc\/passwd" \(\/etc\/passwd\) is outside the scenario's directory .* and the project .*--allow-rules \/etc\/passwd$/),
      expect.stringMatching(/rules\[1\]: rule file "\.\.\/outside-rules\.yml" .* is outside the scenario's directory/),
      expect.stringMatching(/rules\[2\]: "\." is a directory .*; name rule files one by one$/),
      expect.stringMatching(/rules\[3\]: "\.\/sub" is a directory/),
      expect.stringMatching(/rules\[4\]: rule file "\.\/link\.yml" \(.*outside-rules\.yml\) is outside/),
    ]);
  });

  it('takes files inside the scenario tree, and outside ones named with --allow-rules', () => {
    const dir = join(root, 'own');
    mkdirSync(join(dir, 'rules'), { recursive: true });
    writeFileSync(join(dir, 'rules', 'extra.yml'), RULES);
    const outside = join(root, 'allowed.yml');
    writeFileSync(outside, RULES);
    const f = scenario(dir, 'own.yaml', `rules: [./rules/extra.yml, ${outside}]\n`);
    expect(caught(() => load(f)).details).toEqual([expect.stringMatching(/rules\[1\]: rule file ".*allowed\.yml" .* is outside the scenario's directory/)]);
    const { allowed, problems } = allowedRuleFiles([outside, join(root, 'nope.yml'), root]);
    expect(problems).toEqual([expect.stringMatching(/--allow-rules ".*nope\.yml": ENOENT/), expect.stringMatching(/--allow-rules ".*" is not a regular file/)]);
    expect(load(f, allowed).ruleFiles).toEqual([join(dir, 'rules', 'extra.yml'), outside]);
  });

  it('reports every missing rule file at once', () => {
    const f = scenario(join(root, 'missing'), 'missing.yaml', 'rules: [a.yml, b.yml, c.yml, d.yml]\n');
    const e = caught(() => load(f));
    expect(e.details).toHaveLength(4);
    for (const [i, n] of ['a', 'b', 'c', 'd'].entries()) expect(e.details[i]).toMatch(new RegExp(`rules\\[${i}\\]: rule file "${n}\\.yml" not found`));
  });
});

describe('YAML a loader cannot build', () => {
  const bomb = 'x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nw: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';

  it('an alias bomb in a scenario is invalid input naming the file, not an internal error', () => {
    const f = join(root, 'bomb.yaml');
    writeFileSync(f, bomb);
    const e = caught(() => prepareScenarios([f]));
    expect(e.code).toBe('INVALID_SCENARIO');
    expect(e.exitCode).toBe(ExitCode.invalidInput);
    expect(e.details.join('\n')).toMatch(new RegExp(`${f}: YAML: .*alias.*\\(more than 100 alias expansions`, 'i'));
  });

  it('an alias bomb in a rule file (promtool or not) names the rule file and exits 2', () => {
    const dir = join(root, 'bomb-rules');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bomb.yml'), `groups: []\n${bomb}`);
    const f = scenario(dir, 'rules-bomb.yaml', 'rules: [./bomb.yml]\n');
    // Without promtool the detection bounds read the file: still named, still exit 2.
    const e = caught(() => prepareScenarios([f], () => undefined, undefined, { promtool: false }));
    expect(e.exitCode).toBe(ExitCode.invalidInput);
    expect(e.message).toMatch(new RegExp(`${join(dir, 'bomb.yml')}: cannot be read as a rule file: .*alias`, 'i'));
  });
});

describe('durations and values', () => {
  it('refuses zero durations and targets, and absurd ones, quoting each value', () => {
    const f = scenario(
      join(root, 'zero'),
      'zero.yaml',
      '',
      `targets: { mttd: 0s, mttr: 48h }
load: { rate: 5, duration: 0s }
faults:
  - { type: latency, service: ml-service, at: 0s, duration: 0ms, params: { delay: 0s } }
expect:
  - alert: ServiceDown
    within: 0s
  - resolved: { alert: ServiceDown, within: 100d }
`,
    );
    const e = caught(() => load(f));
    const text = e.details.join('\n');
    expect(text).toMatch(/targets\.mttd: "0s" is zero; no alert can be detected/);
    expect(text).toMatch(/targets\.mttr: "48h" is longer than 24h/);
    expect(text).toMatch(/load\.duration: "0s" is zero; the scenario would end before it starts/);
    expect(text).toMatch(/faults\[0\]\.duration: "0ms" is zero/);
    expect(text).toMatch(/faults\[0\]\.params\.delay: "0s" is zero/);
    expect(text).toMatch(/expect\[0\]\.within: "0s" is zero/);
    expect(text).toMatch(/expect\[1\]\.resolved\.within: "100d" is longer than 24h/);
    // A fault at 0s is a fault from the start: allowed.
    expect(text).not.toMatch(/faults\[0\]\.at: "0s" is zero/);
  });

  it('quotes the offending value: an unknown fault type, a bad duration, a wrong type', () => {
    const f = scenario(
      join(root, 'quote'),
      'quote.yaml',
      '',
      `targets: { mttd: soon }
load: { rate: "fast", duration: 20s }
faults:
  - { type: meltdown, service: ml-service, at: 5s }
expect:
  - alert: ServiceDown
`,
    );
    const text = caught(() => load(f)).details.join('\n');
    expect(text).toMatch(/faults\[0\]\.type: unknown fault type "meltdown"; allowed: latency, errors, crash/);
    expect(text).toMatch(/targets\.mttd: expected a duration like 500ms, 30s or 2m \(got "soon"\)/);
    expect(text).toMatch(/load\.rate: .*\(got "fast"\)/);
  });
});

describe('report directories', () => {
  it('refuses a --report-dir holding an earlier report unless --force, and keeps default runs apart', () => {
    const dir = join(root, 'reports');
    mkdirSync(dir, { recursive: true });
    const files = ['report.json', 'junit.xml', 'report.html'];
    expect(chooseReportDir({ explicit: dir, defaultRoot: root, files })).toBe(dir);
    writeFileSync(join(dir, 'junit.xml'), '<testsuites/>');
    const e = caught(() => chooseReportDir({ explicit: dir, defaultRoot: root, files }));
    expect(e.exitCode).toBe(ExitCode.invalidInput);
    expect(e.message).toBe(`--report-dir "${dir}" already holds junit.xml from an earlier run; refusing to overwrite it`);
    expect(e.hint).toMatch(/--force/);
    expect(chooseReportDir({ explicit: dir, defaultRoot: root, files, force: true })).toBe(dir);

    const now = new Date('2026-12-05T10:23:53.123Z');
    const first = chooseReportDir({ defaultRoot: join(root, 'default'), files, now });
    expect(first).toBe(join(root, 'default', '2026-12-05T10-23-53Z'));
    mkdirSync(first, { recursive: true });
    expect(chooseReportDir({ defaultRoot: join(root, 'default'), files, now })).toBe(`${first}-2`);
    expect(existsSync(`${first}-2`)).toBe(false);
  });
});
