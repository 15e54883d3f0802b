import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, validatePlaybooks, type PlaybookValidation } from '../../../scripts/alerting/remediation/playbook-validate.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const FILE = 'playbooks.yml';

function problems(v: PlaybookValidation): string[] {
  if (v.ok) throw new Error('expected the file to be rejected');
  return v.problems.map(formatProblem);
}

const header = `defaults: { cooldown: 30s, maxAttempts: 3, window: 10m, verifyTimeout: 20s }
allowedActions: [restart, rollback-model, circuit-breaker, clear-faults]
playbooks:
`;

describe('playbook validation', () => {
  it('accepts the shipped playbooks and resolves limits against the defaults', () => {
    const path = resolve(ROOT, 'compose/remediation/playbooks.yml');
    const v = validatePlaybooks(readFileSync(path, 'utf8'), 'compose/remediation/playbooks.yml');
    if (!v.ok) throw new Error(v.problems.map(formatProblem).join('\n'));
    const byName = new Map(v.value.playbooks.map((p) => [p.name, p]));
    expect(byName.get('restart-down-service')).toMatchObject({ match: { alertname: 'ServiceDown' }, actions: [{ action: 'restart' }] });
    expect(byName.get('restart-down-service')!.limits).toEqual({ cooldown: 30_000, maxAttempts: 3, window: 600_000, verifyTimeout: 20_000, timeout: 30_000 });
    expect(byName.get('stop-crash-loop')!.limits.maxAttempts).toBe(1);
    expect(byName.get('shed-load-at-gateway')).toMatchObject({
      actions: [{ action: 'circuit-breaker', service: 'api-gateway', state: 'open', holdFor: 10_000 }],
      onResolved: [{ action: 'circuit-breaker', service: 'api-gateway', state: 'auto' }],
    });
  });

  it('names file, line:col and key path of an unknown action, with the allow-list', () => {
    const text = `${header}  - name: a
    match: { alertname: ServiceDown }
    actions:
      - action: reboot
`;
    expect(problems(validatePlaybooks(text, FILE))).toEqual([
      "playbooks.yml:7:9: unknown action 'reboot' at playbooks[0].actions[0].action; allowed: restart, rollback-model, circuit-breaker, clear-faults",
    ]);
  });

  it('rejects a known action the file does not allow', () => {
    const text = `${header}  - name: a
    match: { alertname: X }
    actions: [{ action: scale-out, replicas: 2 }]
`;
    expect(problems(validatePlaybooks(text, FILE))).toEqual([
      "playbooks.yml:6:17: action 'scale-out' at playbooks[0].actions[0].action is not in allowedActions (restart, rollback-model, circuit-breaker, clear-faults)",
    ]);
  });

  it('rejects more scale-out replicas than the port plan has room for, at start rather than during an incident', () => {
    const text = `defaults: { cooldown: 30s }
allowedActions: [scale-out]
playbooks:
  - name: a
    match: { alertname: X }
    actions: [{ action: scale-out, replicas: 4 }]
`;
    const p = problems(validatePlaybooks(text, FILE));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^playbooks\.yml:6:\d+: playbooks\[0\]\.actions\[0\]\.replicas: at most 3: the port plan has room for that many instances/);
  });

  it('names an unknown key at its own line, in a playbook and in an action', () => {
    const text = `${header}  - name: a
    match: { alertname: X }
    retries: 4
    actions:
      - action: restart
        force: true
`;
    expect(problems(validatePlaybooks(text, FILE))).toEqual([
      "playbooks.yml:6:5: playbooks[0].retries: unknown key 'retries'",
      "playbooks.yml:9:9: playbooks[0].actions[0].force: unknown key 'force'",
    ]);
  });

  it('rejects a bad duration with its key path', () => {
    const text = `defaults: { cooldown: 30 seconds }
allowedActions: [restart]
playbooks:
  - name: a
    match: { alertname: X }
    window: 5q
    actions: [{ action: restart }]
`;
    const p = problems(validatePlaybooks(text, FILE));
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/^playbooks\.yml:1:13: defaults\.cooldown: bad duration '30 seconds'/);
    expect(p[1]).toMatch(/^playbooks\.yml:6:5: playbooks\[0\]\.window: bad duration '5q'/);
  });

  it('reports YAML syntax errors with line and column', () => {
    const text = `allowedActions: [restart
playbooks:
  - name: a
`;
    const p = problems(validatePlaybooks(text, FILE));
    expect(p.length).toBeGreaterThan(0);
    for (const line of p) expect(line).toMatch(/^playbooks\.yml:\d+:\d+: YAML syntax error: /);
  });

  it('reports several problems at once, in file order', () => {
    const text = `defaults: { cooldown: 1x }
allowedActions: [restart]
playbooks:
  - name: a
    match: { alertname: /Foo(/ }
    actions: [{ action: reboot }]
  - name: a
    match: {}
    actions: [{ action: circuit-breaker, state: sideways }]
  - match: { alertname: X }
    actions: [{ action: restart }]
`;
    const p = problems(validatePlaybooks(text, FILE));
    expect(p.map((l) => l.split(': ')[0])).toEqual([
      'playbooks.yml:1:13',
      'playbooks.yml:5:14',
      'playbooks.yml:6:17',
      'playbooks.yml:7:5',
      'playbooks.yml:8:5',
      'playbooks.yml:9:17',
      'playbooks.yml:9:42',
      'playbooks.yml:10:5',
    ]);
    expect(p.join('\n')).toContain("unknown action 'reboot' at playbooks[0].actions[0].action");
    expect(p.join('\n')).toContain('playbooks[0].match.alertname: invalid regular expression /Foo(/');
    expect(p.join('\n')).toContain("playbooks[1].name: duplicate playbook name 'a'");
    expect(p.join('\n')).toContain('playbooks[1].match: expected at least one label matcher');
    expect(p.join('\n')).toContain('playbooks[1].actions[0].state:');
    expect(p.join('\n')).toContain('playbooks[2].name:');
  });

  it('requires actions or onResolved and a non-empty allow-list', () => {
    const text = `allowedActions: []
playbooks:
  - name: a
    match: { alertname: X }
`;
    const p = problems(validatePlaybooks(text, FILE)).join('\n');
    expect(p).toContain('playbooks.yml:1:1: allowedActions:');
    expect(p).toContain('playbooks.yml:3:5: playbooks[0]: expected actions, onResolved or both');
  });
});
