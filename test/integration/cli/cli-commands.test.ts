import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';
import { runCli } from '../../helpers/cli.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';
import { leftovers, NOTHING_LEFT, settleLeftovers } from '../../helpers/leftovers.ts';

/**
 * The CLI's contract at its boundary, through the real `bin/sandbox.mjs`: exit codes (2 invalid
 * input, 3 environment), precise messages, nothing started on bad input, and the read-only
 * commands (`scenarios`, `logs`) against what is really on disk and really running.
 */

// A socket that cannot exist: the docker probe fails the same way on a machine with an engine.
const DEAD_DOCKER = 'unix:///nonexistent/docker.sock';

describe('`up --runtime docker` where no Docker engine answers', () => {
  it('in the foreground: exit 3, says no engine answered and suggests --runtime native; nothing left', async () => {
    const { env, stateDir } = await isolatedSandbox('cli-nodocker-');
    const r = await runCli(['up', '--runtime', 'docker'], { ...env, DOCKER_HOST: DEAD_DOCKER }, 60_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/^error\[RUNTIME_UNAVAILABLE\]: the docker runtime needs a Docker engine, and none answers: testcontainers found no working engine \(looked at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock\)$/m);
    expect(r.stderr).toMatch(/^hint: .*`--runtime native`/m);
    expect(r.stdout).not.toMatch(/sandbox ready/);
    expect(leftovers(stateDir)).toEqual(NOTHING_LEFT);
  });

  it('with --detach: the background host fails the same way, and the CLI reports it with exit 3', async () => {
    const { env, stateDir } = await isolatedSandbox('cli-nodocker-detach-');
    const r = await runCli(['up', '--detach', '--runtime', 'docker'], { ...env, DOCKER_HOST: DEAD_DOCKER }, 60_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/^error\[RUNTIME_UNAVAILABLE\]: the docker runtime needs a Docker engine, and none answers: testcontainers found no working engine \(looked at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock\)$/m);
    expect(r.stderr).toMatch(/^hint: .*`--runtime native`/m);
    expect(r.stdout).not.toMatch(/sandbox running in the background/);
    // The detached host exits on its own; give it a moment.
    expect(await settleLeftovers(stateDir)).toEqual(NOTHING_LEFT);
  });
});

describe('bad input at the CLI boundary: exit 2, a precise message, nothing started', () => {
  let sb: Awaited<ReturnType<typeof isolatedSandbox>>;
  beforeAll(async () => {
    sb = await isolatedSandbox('cli-badinput-');
  });
  afterAll(() => {
    // Bad input must never have started anything.
    expect(leftovers(sb.stateDir)).toEqual(NOTHING_LEFT);
  });

  it('an unknown flag', async () => {
    const r = await runCli(['up', '--bogus-flag', '--runtime', 'native'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--bogus-flag'$/m);
    // The usage of the command it was given to follows, so the right flag is one look away.
    expect(r.stderr).toMatch(/Usage: sandbox up \[options\]/);
    expect(r.stdout).not.toMatch(/sandbox ready|runtime:/);
  });

  it('an unknown command', async () => {
    const r = await runCli(['frobnicate'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command 'frobnicate'$/m);
  });

  it('an unknown --runtime value', async () => {
    const r = await runCli(['up', '--runtime', 'podman'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INVALID_ARGUMENT\]: unknown runtime "podman"$/m);
    expect(r.stderr).toMatch(/^hint: use --runtime auto, native or docker$/m);
  });

  it('`test` on a malformed scenario names the file, line and key of every problem, before anything starts', async () => {
    const file = join(sb.stateDir, 'malformed.yaml');
    writeFileSync(
      file,
      [
        'name: malformed', // 1
        'description: a fault that starts "soon"', // 2
        'load:', // 3
        '  rate: 10', // 4
        '  duration: 30s', // 5
        'faults:', // 6
        '  - type: errors', // 7
        '    service: ml-service', // 8
        '    at: soon', // 9
        '    params: { ratio: 0.5 }', // 10
        'expect:', // 11
        '  - alert: HighErrorRate', // 12
        '    within: 20s', // 13
        '',
      ].join('\n'),
    );
    const r = await runCli(['test', file, '--runtime', 'native', '--report-dir', join(sb.stateDir, 'reports')], sb.env, 30_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(/^error\[INVALID_SCENARIO\]: .*malformed\.yaml is not a valid scenario/m);
    expect(r.stderr).toContain(`${file}:9:5: faults[0].at: expected a duration`);
    // Rejected before anything starts: no runtime chosen, no report written.
    expect(r.stdout).not.toMatch(/runtime:/);
    expect(existsSync(join(sb.stateDir, 'reports', 'report.json'))).toBe(false);
  });

  it('`test` on a file that is not even YAML names the file and line', async () => {
    const file = join(sb.stateDir, 'not-yaml.yaml');
    writeFileSync(file, 'name: not-yaml\nload: [\n  rate: 10\n');
    const r = await runCli(['test', file, '--runtime', 'native'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INVALID_SCENARIO\]: .*not-yaml\.yaml is not a valid scenario/m);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: YAML syntax`));
  });

  it('several bad files: every problem at once, each naming its file', async () => {
    const a = join(sb.stateDir, 'bad-a.yaml');
    const b = join(sb.stateDir, 'bad-b.yaml');
    writeFileSync(a, 'name: bad-a\nload: { rate: 10, duration: forever }\nexpect: []\n');
    writeFileSync(b, 'name: bad-b\nload: { rate: -1, duration: 10s }\nexpect: []\n');
    const r = await runCli(['test', a, b, '--runtime', 'native'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INVALID_SCENARIO\]: 2 scenario files are invalid$/m);
    expect(r.stderr).toMatch(new RegExp(`${a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:\\d+: load\\.duration`));
    expect(r.stderr).toMatch(new RegExp(`${b.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:\\d+: load\\.rate`));
  });

  it('a scenario name that is neither a file nor built in', async () => {
    const r = await runCli(['test', 'no-such-scenario', '--runtime', 'native'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INVALID_ARGUMENT\]: no scenario file or built-in scenario named "no-such-scenario"$/m);
    expect(r.stderr).toMatch(/^hint: `npx sandbox scenarios` lists the built-in scenarios$/m);
  });
});

describe('`sandbox scenarios`', () => {
  // The catalog as it is on disk: every scenarios/*.yaml (not the subdirectories, e.g. lgtm/).
  const catalog = readdirSync(join(PROJECT_ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => {
      const doc = parse(readFileSync(join(PROJECT_ROOT, 'scenarios', f), 'utf8')) as { name: string; description?: string };
      return { file: f, name: doc.name, description: doc.description ?? '' };
    });

  it('lists every built-in scenario file by name with its description, and nothing else', async () => {
    expect(catalog.length).toBeGreaterThanOrEqual(10);
    const { env } = await isolatedSandbox('cli-scenarios-');
    const r = await runCli(['scenarios'], env, 30_000);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(rows).toHaveLength(catalog.length);
    for (const s of catalog) {
      const row = rows.find((l) => l.startsWith(`  ${s.name} `));
      expect(row, `no row for ${s.name} (${s.file})`).toBeDefined();
      expect(row!.trimEnd().endsWith(s.description), `${s.name}: description`).toBe(true);
    }
    // Outside the catalog on purpose (README: needs Loki and Tempo).
    const lgtm = parse(readFileSync(join(PROJECT_ROOT, 'scenarios/lgtm/error-traces.yaml'), 'utf8')) as { name: string };
    expect(r.stdout).not.toContain(lgtm.name);
  });

  it('--json carries the same names, descriptions and files', async () => {
    const { env } = await isolatedSandbox('cli-scenarios-json-');
    const r = await runCli(['scenarios', '--json'], env, 30_000);
    expect(r.code, r.stderr).toBe(0);
    const listed = (JSON.parse(r.stdout) as { name: string; description: string; file: string }[]).map((s) => ({
      file: s.file.slice(s.file.lastIndexOf('/') + 1),
      name: s.name,
      description: s.description ?? '',
    }));
    const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
    expect(listed.sort(byName)).toEqual([...catalog].sort(byName));
  });
});

describe('`sandbox logs` against a running detached sandbox', () => {
  let sb: Awaited<ReturnType<typeof isolatedSandbox>>;
  let pids: number[] = [];
  let session: { chaosToken: string };

  beforeAll(async () => {
    sb = await isolatedSandbox('cli-logs-');
    const up = await runCli(['up', '--detach', '--runtime', 'native'], sb.env, 60_000);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    session = JSON.parse(readFileSync(join(sb.stateDir, 'session.json'), 'utf8'));
    pids = leftovers(sb.stateDir).alivePids;
    // Stack, services, sink, controller (and the reaper): all alive while it runs.
    expect(pids.length).toBeGreaterThanOrEqual(7);
  });

  afterAll(async () => {
    if (!sb) return;
    const down = await runCli(['down'], sb.env, 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/stopped the sandbox/);
    expect(await settleLeftovers(sb.stateDir, pids)).toEqual(NOTHING_LEFT);
  });

  it("prints the component's own log: ml-service's JSON lines, including one it just wrote", async () => {
    // Make ml-service log something identifiable: a short fault through its chaos API.
    const url = `http://127.0.0.1:${portPlan(sb.portOffset).service('ml-service')}`;
    const res = await fetch(`${url}/chaos/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chaos-token': session.chaosToken },
      body: JSON.stringify({ type: 'latency', params: { delay: '1ms' }, durationMs: 500 }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const r = await runCli(['logs', 'ml-service'], sb.env, 30_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect((JSON.parse(l) as { service: string }).service, l).toBe('ml-service');
    expect(lines.some((l) => /ml-service listening/.test(l))).toBe(true);
    const injected = lines.map((l) => JSON.parse(l) as { msg: string; fault_id?: string }).find((e) => e.msg === 'chaos fault injected');
    expect(injected?.fault_id).toBe(id);

    // -n limits to the last lines of the file.
    const two = await runCli(['logs', 'ml-service', '-n', '2'], sb.env, 30_000);
    expect(two.code).toBe(0);
    const last = two.stdout.trimEnd().split('\n');
    expect(last).toHaveLength(2);
    const file = readFileSync(join(sb.stateDir, 'logs', 'ml-service.log'), 'utf8').trimEnd().split('\n');
    for (const l of last) expect(file).toContain(l);
  });

  it("another component's log is its own: prometheus", async () => {
    const r = await runCli(['logs', 'prometheus'], sb.env, 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Server is ready to receive web requests/);
    expect(r.stdout).not.toMatch(/"service":"ml-service"/);
  });

  it('an unknown component: exit 2, naming it and listing the components', async () => {
    const r = await runCli(['logs', 'ml-servic'], sb.env, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[UNKNOWN_COMPONENT\]: unknown component "ml-servic"$/m);
    const hint = r.stderr.match(/^hint: components: (.*)$/m)?.[1]?.split(', ');
    expect(hint).toEqual(expect.arrayContaining(['ml-service', 'api-gateway', 'prometheus', 'alertmanager']));
    expect(r.stdout).toBe('');
  });
});
