import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityOf, isAlive } from '../../../scripts/runtime/processes/identity.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { runCli, startCli } from '../../helpers/cli.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';
import { NOTHING_LEFT, reaperPid, settleLeftovers } from '../../helpers/leftovers.ts';

/**
 * One owner per state dir, `down`/`status` acting only on the recorded session, one scenario
 * run at a time, and damaged state recovered: issue 14's reproductions, with the real CLI and
 * real processes.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

type Iso = Awaited<ReturnType<typeof isolatedSandbox>>;

async function sandbox(prefix: string): Promise<Iso> {
  const iso = await isolatedSandbox(prefix);
  cleanups.push(() => runCli(['down'], iso.env, 60_000));
  return iso;
}

async function upDetached(iso: Iso): Promise<{ session: string; hostPid: number; controlUrl: string; chaosToken: string }> {
  const up = await runCli(['up', '--detach', '--runtime', 'native'], iso.env, 90_000);
  expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
  return JSON.parse(readFileSync(join(iso.stateDir, 'session.json'), 'utf8'));
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const registered = (iso: Iso) => new PidRegistry(join(iso.stateDir, 'pids')).entries().map((e) => e.pid);

describe('one owner per state dir', () => {
  it('a second `up` on a state dir that is starting is refused and reaps nothing of the first', async () => {
    const iso = await sandbox('own-two-ups-');
    const lockFile = join(iso.stateDir, 'owner.lock');
    const first = startCli(['up', '--runtime', 'native'], iso.env, /Ctrl-C stops everything/, 90_000);
    // The moment the first owns the state dir, before its processes run.
    expect(await waitFor(() => existsSync(lockFile), 30_000)).toBe(true);
    const second = await runCli(['up', '--detach', '--runtime', 'native'], iso.env, 60_000);
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`error\\[SANDBOX_ALREADY_RUNNING\\]: a sandbox (is starting|is already running) from ${iso.stateDir} \\(pid \\d+, since `));
    const { child } = await first;
    const pids = registered(iso);
    // The stack's three, two sample services, the platform receivers (sink and controller in one process).
    expect(pids.length).toBe(6);
    expect(pids.filter((p) => !isAlive(p))).toEqual([]);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await settleLeftovers(iso.stateDir, pids)).toEqual(NOTHING_LEFT);
  });

  it('Ctrl-C during `up` stops what started and exits 130', async () => {
    const iso = await sandbox('own-interrupt-');
    const { child } = await startCli(['up', '--runtime', 'native'], iso.env, /^runtime: native/m, 60_000);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await settleLeftovers(iso.stateDir)).toEqual(NOTHING_LEFT);
    expect(existsSync(join(iso.stateDir, 'owner.lock'))).toBe(false);
  });
});

describe('down and status act on the recorded session only', () => {
  it('with a stale session.json whose port another sandbox has taken since, down stops nothing of that sandbox', async () => {
    const stale = await sandbox('own-stale-');
    const old = await upDetached(stale);
    const oldPids = registered(stale);
    // The host is killed; its reaper stops its processes; session.json and the lock stay behind.
    process.kill(old.hostPid, 'SIGKILL');
    expect(await waitFor(() => oldPids.every((p) => !isAlive(p)), 15_000)).toBe(true);
    expect(existsSync(join(stale.stateDir, 'session.json'))).toBe(true);

    // Another sandbox, its own state dir, the same ports.
    const otherDir = mkdtempSync(join(tmpdir(), 'own-other-'));
    const otherEnv = { ...stale.env, SANDBOX_STATE_DIR: otherDir };
    cleanups.push(() => runCli(['down'], otherEnv, 60_000));
    const other = await upDetached({ ...stale, stateDir: otherDir, env: otherEnv });
    expect(other.controlUrl).toBe(old.controlUrl);
    const otherPids = new PidRegistry(join(otherDir, 'pids')).entries().map((e) => e.pid);

    const status = JSON.parse((await runCli(['status', '--json'], stale.env)).stdout) as { running: boolean; problems: string[] };
    expect(status.running).toBe(false);
    expect(status.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`session\\.json records session ${old.session} with host pid ${old.hostPid}, which is no longer running`)),
        expect.stringMatching(/belongs to another sandbox \(it refuses this session's token\)/),
      ]),
    );
    const down = await runCli(['down'], stale.env, 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/left alone: .* belongs to another sandbox/);
    expect(down.stdout).not.toMatch(/stopped the sandbox/);
    expect(isAlive(other.hostPid)).toBe(true);
    expect(otherPids.filter((p) => !isAlive(p))).toEqual([]);
    expect(JSON.parse((await runCli(['status', '--json'], otherEnv)).stdout)).toMatchObject({ running: true, session: other.session });
  });

  it('never signals a process that only shares the recorded pid (another start time)', async () => {
    const iso = await sandbox('own-pid-reuse-');
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanups.push(async () => bystander.kill('SIGKILL'));
    const id = identityOf(bystander.pid!);
    const fake = { session: 'feedfacecafe', runtime: 'native', hostPid: id.pid, hostStartTicks: (id.startTicks ?? 0) + 7, controlUrl: 'http://127.0.0.1:9', portOffset: 0, startedAt: '', detached: true, chaosToken: 'x', remediation: true };
    writeFileSync(join(iso.stateDir, 'session.json'), JSON.stringify(fake));
    writeFileSync(join(iso.stateDir, 'owner.lock'), JSON.stringify({ pid: id.pid, startTicks: fake.hostStartTicks, purpose: 'sandbox host', command: 'x', acquiredAt: 'then' }));
    const status = JSON.parse((await runCli(['status', '--json'], iso.env)).stdout) as { running: boolean; problems: string[] };
    expect(status.running).toBe(false);
    const down = await runCli(['down'], iso.env, 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`found: the owner lock names pid ${id.pid} \\(sandbox host\\), which is no longer running`));
    expect(isAlive(id.pid)).toBe(true);
    expect(existsSync(join(iso.stateDir, 'session.json'))).toBe(false);
  });
});

describe('damaged state is reported and recovered', () => {
  it('a truncated session.json: status says so, down stops the host it cannot read and everything it started', async () => {
    const iso = await sandbox('own-truncated-session-');
    const info = await upDetached(iso);
    const pids = [info.hostPid, ...registered(iso)];
    const file = join(iso.stateDir, 'session.json');
    truncateSync(file, 25);
    const status = JSON.parse((await runCli(['status', '--json'], iso.env)).stdout) as { running: boolean; problems: string[] };
    expect(status.running).toBe(false);
    expect(status.problems[0]).toMatch(/session\.json is damaged: .* \(25 bytes: "\{/);
    const down = await runCli(['down'], iso.env, 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/found: .*session\.json is damaged/);
    expect(down.stdout).toMatch(new RegExp(`stopping the state dir's owner, pid ${info.hostPid} \\(session ${info.session}\\), by signal`));
    expect(await settleLeftovers(iso.stateDir, pids)).toEqual(NOTHING_LEFT);
    // And the state dir is usable again.
    const again = await upDetached(iso);
    expect(again.session).not.toBe(info.session);
  });

  it('a truncated pid file of a killed sandbox: down reports it and still stops that process', async () => {
    const iso = await sandbox('own-truncated-pid-');
    const info = await upDetached(iso);
    const registry = new PidRegistry(join(iso.stateDir, 'pids'));
    const prometheus = registry.entries().find((e) => e.name === 'prometheus')!;
    const pids = registered(iso);
    // Host and reaper killed: nobody cleans up; then the pid file is damaged.
    process.kill(reaperPid(iso.stateDir)!, 'SIGKILL');
    process.kill(info.hostPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(pids.filter((p) => !isAlive(p))).toEqual([]);
    truncateSync(join(registry.dir, `${prometheus.pid}.json`), 10);
    const down = await runCli(['down'], iso.env, 60_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`found: damaged pid file .*${prometheus.pid}\\.json: .*\\(10 bytes: .*\\); process ${prometheus.pid} belonged to this state dir and was stopped`));
    expect(down.stdout).toMatch(new RegExp(`reaped ${pids.length} process\\(es\\)`));
    expect(await settleLeftovers(iso.stateDir, pids)).toEqual(NOTHING_LEFT);
  });
});

describe('scenario runs against one sandbox', () => {
  it('a second run while one is in progress is refused, naming the first', async () => {
    const iso = await sandbox('own-two-runs-');
    await upDetached(iso);
    const scenario = join(iso.stateDir, 'quiet.yaml');
    writeFileSync(scenario, 'name: quiet-long\nload: { rate: 2, duration: 30s }\nexpect:\n  - noOtherAlerts: true\n');
    const first = await startCli(['run', scenario, '-q'], iso.env, /RUN\s+quiet-long/, 90_000);
    const exited = new Promise<number | null>((r) => first.child.on('exit', (code) => r(code)));
    const second = await runCli(['run', 'service-crash', '-q'], iso.env, 60_000);
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`error\\[SANDBOX_ALREADY_RUNNING\\]: another scenario run is using the sandbox in ${iso.stateDir}: pid ${first.child.pid} \\(\`.*run .*quiet\\.yaml -q\`\\), since `));
    expect(second.stderr).toMatch(/hint: scenario runs share one Prometheus and Alertmanager, so they go one at a time/);
    first.child.kill('SIGINT');
    expect(await exited).toBe(130);
    // The slot is free again.
    expect(existsSync(join(iso.stateDir, 'run.lock'))).toBe(false);
  });
});
