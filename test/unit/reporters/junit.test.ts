import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JunitReporter, renderJunit } from '../../../scripts/reporters/junit.ts';
import { erroredCrash, failedCrash, nastyName, passedCrash, skipped, suite } from './fixtures.ts';
import { findAll, parseXml, type XmlElement } from './xml.ts';

const full = () => suite([passedCrash(), failedCrash(), erroredCrash(), skipped()]);
const cases = (root: XmlElement) => findAll(root, 'testcase');
const child = (el: XmlElement, name: string) => el.children.find((c) => c.name === name);

describe('junit.xml', () => {
  it('is one testsuite with counts CI servers read off its attributes', () => {
    const root = parseXml(renderJunit(full()));
    expect(root.name).toBe('testsuites');
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(1);
    for (const el of [root, suites[0]!]) {
      expect(el.attrs).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '1', time: '83.200' });
    }
    expect(suites[0]!.attrs.timestamp).toBe('2026-11-22T14:00:00.000Z');
    expect(findAll(root, 'property').map((p) => p.attrs)).toEqual([{ name: 'runtime', value: 'native' }]);
  });

  it('has one testcase per scenario with classname, name and time', () => {
    const tcs = cases(parseXml(renderJunit(full())));
    expect(tcs.map((t) => t.attrs.name)).toEqual(['service-crash', 'service-crash-no-remediation', 'latency-spike', 'dependency-outage']);
    expect(tcs.map((t) => t.attrs.classname)).toEqual(Array(4).fill('sandbox.scenarios'));
    expect(tcs.map((t) => t.attrs.time)).toEqual(['31.200', '36.100', '15.900', '0.000']);
  });

  it('marks each outcome with the element CI servers expect', () => {
    const [passed, failed, errored, skip] = cases(parseXml(renderJunit(full())));
    const verdicts = (t: XmlElement) => t.children.map((c) => c.name).filter((n) => n !== 'system-out');
    expect(verdicts(passed!)).toEqual([]);
    expect(verdicts(failed!)).toEqual(['failure']);
    expect(verdicts(errored!)).toEqual(['error']);
    expect(verdicts(skip!)).toEqual(['skipped']);
  });

  it('names every failed expectation with what was expected and observed', () => {
    const failure = child(cases(parseXml(renderJunit(full())))[1]!, 'failure')!;
    expect(failure.attrs.message).toBe(
      '3 of 6 expectations failed: expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run',
    );
    const lines = failure.text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'remediation restart ml-service: expected remediation restart ml-service to succeed within 20s, but the controller recorded only restart ml-service: dry-run [observed never, within 20s]',
    );
    expect(lines[1]).toMatch(/^resolved ServiceDown: expected alert ServiceDown resolved within 30s, .* \[observed never, within 30s\]$/);
    expect(lines[2]).toMatch(/^target MTTR: /);
    // Passed expectations are not failures.
    expect(failure.text).not.toMatch(/pagerduty/);
  });

  it('reports a sandbox error with its code, message and hint', () => {
    const error = child(cases(parseXml(renderJunit(full())))[2]!, 'error')!;
    expect(error.attrs).toEqual({ type: 'INJECTION_FAILED', message: 'chaos API of ml-service answered 503 to POST /chaos/latency' });
    expect(error.text).toBe('[INJECTION_FAILED] chaos API of ml-service answered 503 to POST /chaos/latency\nhint: check `npx sandbox logs ml-service`');
  });

  it('puts metrics and the timeline into system-out', () => {
    const out = child(cases(parseXml(renderJunit(full())))[0]!, 'system-out')!.text;
    expect(out).toContain('MTTD 3.1s = 0.78× ceiling (floor 2s, ceiling 4s), notify 4.21s (floor 3s, ceiling 5s), remediate 4.9s, MTTR 12.6s');
    expect(out).toContain('detection ServiceDown 3.1s = 0.78× ceiling (floor 2s, ceiling 4s)');
    expect(out).toMatch(/^ +5\.433s {2}2026-11-22T14:00:05\.433Z {2}fault-start {5}crash on ml-service$/m);
    expect(out).toContain('ServiceDown firing {service="ml-service"}');
    expect(out.match(/^ +\d+\.\d{3}s /gm)).toHaveLength(passedCrash().timeline.length);
  });

  it('escapes names, messages and control characters so the file stays valid XML', () => {
    const bad = failedCrash(nastyName);
    bad.file = `dir/<&>.yaml`;
    bad.expectations[2]!.message = `expected <restart> & "more"\nsecond line\u0001 ]]> end`;
    const errored = erroredCrash(`${nastyName}-2`);
    errored.error = { code: 'REMOTE_ERROR', message: `bad <xml> & 'quotes'\u0007`, hint: 'a & b' };
    const root = parseXml(renderJunit(suite([bad, errored])));
    const [f, e] = cases(root);
    expect(f!.attrs.name).toBe(nastyName);
    expect(f!.attrs.file).toBe('dir/<&>.yaml');
    // The newline survives in the attribute (escaped), the control character is replaced.
    expect(child(f!, 'failure')!.attrs.message).toBe(`3 of 6 expectations failed: expected <restart> & "more"\nsecond line\uFFFD ]]> end`);
    expect(child(f!, 'system-out')!.text).toContain(`scenario ${nastyName} started`);
    expect(e!.attrs.name).toBe(`${nastyName}-2`);
    expect(child(e!, 'error')!.text).toBe(`[REMOTE_ERROR] bad <xml> & 'quotes'\uFFFD\nhint: a & b`);
  });

  it('is a valid document with no scenarios at all', () => {
    const root = parseXml(renderJunit(suite([])));
    expect(findAll(root, 'testsuite')[0]!.attrs).toMatchObject({ tests: '0', failures: '0', errors: '0', skipped: '0' });
  });

  it('writes junit.xml into the report dir, creating it, leaving no temporary file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'junit-')), 'nested', 'reports');
    await new JunitReporter(dir).onSuiteEnd(full());
    expect(readdirSync(dir)).toEqual(['junit.xml']);
    expect(cases(parseXml(readFileSync(join(dir, 'junit.xml'), 'utf8')))).toHaveLength(4);
  });
});
