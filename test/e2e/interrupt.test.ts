import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, PidRegistry } from '../../scripts/runtime/processes/pid-registry.ts';
import { portPlan } from '../../scripts/stack/catalog.ts';
import { CLI, runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';
import { leftovers, NOTHING_LEFT, processesMentioning, settleLeftovers } from '../helpers/leftovers.ts';
import { PROJECT_ROOT } from '../../scripts/runtime/paths.ts';

/**
 * Ctrl-C while a scenario's fault is in effect (README: "130: interrupted"; `sandbox test`
 * clears faults, writes reports and stops). The fixture holds an 800 ms latency fault on
 * ml-service for 60 s; the CLI is interrupted as a terminal would: SIGINT to its process group.
 */
const FIXTURE = 'test/fixtures/scenarios/interrupt-long-fault.yaml';

interface Cli {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running: Cli[] = [];
const started: Awaited<ReturnType<typeof isolatedSandbox>>[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.child.pid && isAlive(c.child.pid)) c.child.kill('SIGKILL');
  for (const s of started.splice(0)) await runCli(['down'], s.env, 60_000);
});

/** The CLI in its own process group, like a foreground job in a terminal. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv): Cli {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: PROJECT_ROOT, detached: true });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const cli = { child, output: () => output, exited };
  running.push(cli);
  return cli;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${context()}`);
}

interface FaultView {
  id: string;
  type: string;
}

async function activeFaults(url: string, token: string): Promise<FaultView[]> {
  const res = await fetch(`${url}/chaos/faults`, { headers: { 'x-chaos-token': token }, signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as FaultView[];
}

/** Wait until the latency fault is in effect in ml-service and the CLI has printed its start. */
async function waitForFault(stateDir: string, mlUrl: string, cli: Cli): Promise<{ fault: FaultView; token: string }> {
  const session = await until('session.json', async () => (existsSync(join(stateDir, 'session.json')) ? (JSON.parse(readFileSync(join(stateDir, 'session.json'), 'utf8')) as { chaosToken: string }) : undefined), 60_000, cli.output);
  const fault = await until(
    'the latency fault in ml-service',
    async () => (await activeFaults(mlUrl, session.chaosToken)).find((f) => f.type === 'latency'),
    60_000,
    cli.output,
  );
  await until('the fault-start line', async () => (/fault-start\s+latency on ml-service/.test(cli.output()) ? true : undefined), 10_000, cli.output);
  return { fault, token: session.chaosToken };
}

interface AuditLine {
  service: string;
  event: 'inject' | 'clear';
  id: string;
  reason?: string;
}

const audit = (stateDir: string): AuditLine[] =>
  readFileSync(join(stateDir, 'audit', 'chaos.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine);

describe('Ctrl-C during a scenario', () => {
  it('`sandbox test`: exit 130, the fault cleared in the service, report.json written, nothing left running', async () => {
    const sb = await isolatedSandbox('e2e-interrupt-test-');
    started.push(sb);
    const reportDir = join(sb.stateDir, 'reports');
    const mlUrl = `http://127.0.0.1:${portPlan(sb.portOffset).service('ml-service')}`;
    // No remediation: nothing but the CLI's own cleanup may clear the fault.
    // As in a GitHub Actions step: the Markdown summary is appended to the job's summary file.
    const stepSummary = join(sb.stateDir, 'step-summary.md');
    writeFileSync(stepSummary, '## earlier step\n');
    const cli = spawnCli(['test', FIXTURE, '--runtime', 'native', '--no-remediation', '--report-dir', reportDir], { ...sb.env, GITHUB_STEP_SUMMARY: stepSummary });
    const { fault } = await waitForFault(sb.stateDir, mlUrl, cli);
    const pids = leftovers(sb.stateDir).alivePids;
    expect(pids.length).toBeGreaterThanOrEqual(7);
    // The leftover scan sees the running sandbox (so an empty scan later means something).
    expect(processesMentioning(sb.stateDir).map((p) => p.pid)).toEqual(expect.arrayContaining([cli.child.pid, ...pids]));

    process.kill(-cli.child.pid!, 'SIGINT');
    const code = await Promise.race([cli.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    expect(code, cli.output()).toBe(130);
    expect(cli.output()).toMatch(/interrupted: clearing faults, writing reports and stopping/);

    // The fault was cleared by a DELETE the service itself answered, not by its process ending.
    const trail = audit(sb.stateDir).filter((l) => l.id === fault.id);
    expect(trail.map((l) => [l.service, l.event, l.reason ?? null])).toEqual([
      ['ml-service', 'inject', null],
      ['ml-service', 'clear', 'deleted'],
    ]);

    // No result lost: the interrupted scenario is in every report, errored with the reason.
    expect(existsSync(join(reportDir, 'report.json')), cli.output()).toBe(true);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ passed: false, runtime: 'native' });
    expect(report.scenarios).toHaveLength(1);
    const [s] = report.scenarios;
    expect(s).toMatchObject({ name: 'interrupt-long-fault', outcome: 'errored', error: { code: 'INTERRUPTED' } });
    const faultEvents = s.timeline.filter((e: { kind: string }) => e.kind === 'fault-start' || e.kind === 'fault-end');
    expect(faultEvents).toMatchObject([
      { kind: 'fault-start', fault: 'latency', service: 'ml-service', id: fault.id },
      { kind: 'fault-end', fault: 'latency', service: 'ml-service', id: fault.id, reason: 'scenario-end' },
    ]);
    expect(s.timeline.at(-1).kind).toBe('scenario-end');
    expect(readFileSync(join(reportDir, 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="interrupt-long-fault"/);
    expect(existsSync(join(reportDir, 'report.html'))).toBe(true);
    const markdown = readFileSync(join(reportDir, 'report.md'), 'utf8');
    expect(markdown).toMatch(/^\| interrupt-long-fault \| ⚠️ errored \|.*\*\*INTERRUPTED\*\*/m);
    expect(readFileSync(stepSummary, 'utf8')).toBe(`## earlier step\n${markdown}\n`);

    // `test` owns its sandbox: everything it started is gone.
    expect(await settleLeftovers(sb.stateDir, pids)).toEqual(NOTHING_LEFT);
  });

  it('`sandbox run` on a detached sandbox: exit 130, the fault cleared, and the sandbox it did not start keeps running', async () => {
    const sb = await isolatedSandbox('e2e-interrupt-run-');
    started.push(sb);
    const up = await runCli(['up', '--detach', '--runtime', 'native', '--no-remediation'], sb.env, 60_000);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    const pids = leftovers(sb.stateDir).alivePids;
    // Every scenario starts Prometheus afresh on an empty TSDB (no admin API): all but it stay.
    const prometheusPid = new PidRegistry(join(sb.stateDir, 'pids')).entries().find((e) => e.name === 'prometheus')!.pid;
    const mlUrl = `http://127.0.0.1:${portPlan(sb.portOffset).service('ml-service')}`;
    const reportDir = join(sb.stateDir, 'run-reports');

    const cli = spawnCli(['run', FIXTURE, '--runtime', 'native', '--no-remediation', '--report-dir', reportDir], sb.env);
    const { fault, token } = await waitForFault(sb.stateDir, mlUrl, cli);
    process.kill(-cli.child.pid!, 'SIGINT');
    const code = await Promise.race([cli.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    expect(code, cli.output()).toBe(130);

    // Read straight from the service, which still runs: no fault left in effect.
    expect(await activeFaults(mlUrl, token)).toEqual([]);
    expect(audit(sb.stateDir).filter((l) => l.id === fault.id).map((l) => l.event)).toEqual(['inject', 'clear']);
    const ready = await fetch(`${mlUrl}/ready`);
    expect(ready.status).toBe(200);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report.scenarios[0]).toMatchObject({ name: 'interrupt-long-fault', outcome: 'errored', error: { code: 'INTERRUPTED' } });

    // The user's sandbox is untouched: same processes (Prometheus restarted fresh), still answering.
    expect(pids.filter((p) => p !== prometheusPid && !isAlive(p))).toEqual([]);
    const status = JSON.parse((await runCli(['status', '--json'], sb.env)).stdout);
    expect(status.running).toBe(true);
    expect(status.components.find((c: { name: string }) => c.name === 'ml-service').state).toBe('ready');

    const down = await runCli(['down'], sb.env, 60_000);
    expect(down.stdout).toMatch(/stopped the sandbox/);
    expect(await settleLeftovers(sb.stateDir, pids)).toEqual(NOTHING_LEFT);
  });
});
