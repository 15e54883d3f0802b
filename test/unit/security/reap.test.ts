import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityOf, isAlive, isSameProcess, OWNER_ENV, processesOwnedBy } from '../../../scripts/runtime/processes/identity.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { reapStateDir } from '../../../scripts/runtime/processes/reap.ts';
import { attachTokenFile, writeAttachToken } from '../../../scripts/runtime/attached/token-file.ts';
import { reapStale } from '../../../scripts/runtime/session.ts';
import { stateLayout } from '../../../scripts/runtime/state.ts';

/**
 * What `down` and a starting sandbox reap in a state dir whose owner is gone: real processes
 * (sleep), marked or registered as the sandbox does it, with damaged and misleading pid files.
 */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.pid && isAlive(c.pid)) c.kill('SIGKILL');
});

/** A process as the sandbox starts them: its own group, and (when `owner`) the state dir's mark. */
function sleeper(owner?: string): ChildProcess {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, ...(owner ? { [OWNER_ENV]: owner } : {}) } });
  started.push(child);
  return child;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('a process’s identity', () => {
  it('is its pid and start time: another start time under the same pid is another process', () => {
    const me = identityOf(process.pid);
    expect(me.startTicks).toEqual(expect.any(Number));
    expect(isSameProcess(me)).toBe(true);
    expect(isSameProcess({ ...me, startTicks: me.startTicks! + 1 })).toBe(false);
    expect(isAlive(0)).toBe(false);
    expect(isAlive(-1)).toBe(false);
  });

  it('carries the owner mark of its state dir, and only processes with exactly that mark are found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reap-mark-'));
    const ours = sleeper(dir);
    const other = sleeper(`${dir}-other`);
    const unmarked = sleeper();
    await until(() => processesOwnedBy(dir).length > 0);
    const found = processesOwnedBy(dir).map((p) => p.pid);
    expect(found).toContain(ours.pid);
    expect(found).not.toContain(other.pid);
    expect(found).not.toContain(unmarked.pid);
  });
});

describe('reaping a state dir', () => {
  it('stops registered processes and those only the owner mark ties to it (damaged pid file), reports the damage, spares everything else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reap-state-'));
    const registry = new PidRegistry(join(dir, 'pids'));
    const registered = sleeper(dir);
    registry.add({ pid: registered.pid!, name: 'ml-service', command: ['sleep', '30'], session: 's1' });
    // Its pid file was cut short by a crash mid-write: only the mark says it is ours.
    const hidden = sleeper(dir);
    writeFileSync(join(registry.dir, `${hidden.pid}.json`), `{"pid":${hidden.pid},"na`);
    // Another sandbox's process, and a process of the user's that now holds a recorded pid.
    const neighbour = sleeper(`${dir}-neighbour`);
    const reused = sleeper();
    writeFileSync(
      join(registry.dir, `${reused.pid}.json`),
      JSON.stringify({ pid: reused.pid, name: 'api-gateway', command: ['node'], session: 's1', startTicks: identityOf(reused.pid!).startTicks! - 1, registeredAt: 'x' }),
    );
    // A damaged file whose pid no process of ours has.
    writeFileSync(join(registry.dir, '999999.json'), '');

    const report = await reapStateDir(registry, { graceMs: 2000 });

    expect(report.reaped.map((e) => e.pid)).toEqual([registered.pid]);
    expect(report.unregistered.map((p) => p.pid)).toEqual([hidden.pid]);
    expect(report.damaged.map((d) => d.pid).sort()).toEqual([hidden.pid, 999999].sort());
    expect(report.damaged.find((d) => d.pid === hidden.pid)!.reason).toMatch(/JSON/);
    await until(() => !isAlive(registered.pid!) && !isAlive(hidden.pid!));
    expect(isAlive(registered.pid!)).toBe(false);
    expect(isAlive(hidden.pid!)).toBe(false);
    // Never signalled: not ours, whatever a file in our registry says.
    expect(isAlive(neighbour.pid!)).toBe(true);
    expect(isAlive(reused.pid!)).toBe(true);
    // Nothing is left to mislead the next command.
    expect(registry.read()).toEqual({ entries: [], damaged: [] });
  });

  it('reapStale also removes the session record and what an attached sandbox left for the team’s stack', async () => {
    const root = mkdtempSync(join(tmpdir(), 'reap-stale-'));
    const layout = stateLayout(root);
    mkdirSync(layout.pidsDir, { recursive: true });
    writeFileSync(layout.sessionFile, '{"session":');
    writeAttachToken(root, 'old-session-token');
    const left = sleeper(root);
    const report = await reapStale(layout);
    expect(report.unregistered.map((p) => p.pid)).toEqual([left.pid]);
    expect(existsSync(layout.sessionFile)).toBe(false);
    expect(existsSync(attachTokenFile(root))).toBe(false);
  });
});
