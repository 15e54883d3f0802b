import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityOf, isAlive } from '../../../scripts/runtime/processes/identity.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { readLock, StateLock } from '../../../scripts/runtime/state-lock.ts';
import { readSessionState, stateLayout, writeSessionInfo, type SessionInfo } from '../../../scripts/runtime/state.ts';

/**
 * The state dir's files: one owner at a time (a lock a killed owner does not leave stuck),
 * damage detected and described, secrets written 0600 from the first byte.
 */
const dir = () => mkdtempSync(join(tmpdir(), 'state-files-'));

/** A pid that ran once and has exited: what a killed owner leaves in its lock. */
async function deadPid(): Promise<{ pid: number; startTicks: number | null }> {
  const child = spawn('sleep', ['30']);
  const id = identityOf(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return id;
}

describe('the owner lock', () => {
  it('has one owner: a second taker is refused naming the owner, and gets it once released', () => {
    const file = join(dir(), 'owner.lock');
    const lock = StateLock.acquire(file, 'sandbox host', { session: 's1' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readLock(file)).toMatchObject({ state: 'held', owner: { pid: process.pid, purpose: 'sandbox host', session: 's1' } });
    expect(() => StateLock.acquire(file, 'sandbox host')).toThrow(new RegExp(`held by pid ${process.pid} \\(sandbox host, since `));
    lock.release();
    expect(readLock(file)).toEqual({ state: 'free' });
    StateLock.acquire(file, 'again').release();
  });

  it('left by a killed owner, or by a process that has since exited and whose pid may be reused, is taken over', async () => {
    const file = join(dir(), 'owner.lock');
    const dead = await deadPid();
    writeFileSync(file, JSON.stringify({ ...dead, purpose: 'sandbox host', command: 'x', acquiredAt: '2026-01-01T00:00:00Z' }));
    expect(readLock(file)).toMatchObject({ state: 'stale', owner: { pid: dead.pid } });
    const lock = StateLock.acquire(file, 'sandbox host');
    expect(lock.replaced).toMatch(new RegExp(`stale lock of pid ${dead.pid} \\(sandbox host\\), which is no longer running`));
    lock.release();

    // A live pid with another start time is another process: stale too.
    writeFileSync(file, JSON.stringify({ pid: process.pid, startTicks: (identityOf(process.pid).startTicks ?? 0) + 1, purpose: 'sandbox host', command: 'x', acquiredAt: 'y' }));
    expect(readLock(file).state).toBe('stale');
  });

  it('damaged (truncated) is reported with what was found and taken over', () => {
    const file = join(dir(), 'owner.lock');
    writeFileSync(file, '{"pid": 12');
    const seen = readLock(file);
    expect(seen).toMatchObject({ state: 'damaged' });
    expect((seen as { reason: string }).reason).toMatch(/owner\.lock: .*\(10 bytes: "\{\\"pid\\": 12"\)/);
    const lock = StateLock.acquire(file, 'sandbox host');
    expect(lock.replaced).toMatch(/^a damaged lock/);
    lock.release();
  });

  it('release removes only its own lock, never one a later owner took', () => {
    const file = join(dir(), 'owner.lock');
    const lock = StateLock.acquire(file, 'first');
    writeFileSync(file, JSON.stringify({ ...identityOf(process.pid), purpose: 'second', command: 'x', acquiredAt: 'later' }));
    lock.release();
    expect(readLock(file)).toMatchObject({ state: 'held', owner: { purpose: 'second' } });
  });
});

describe('session.json', () => {
  const info: SessionInfo = {
    session: 'abc',
    runtime: 'native',
    hostPid: 123,
    hostStartTicks: 456,
    controlUrl: 'http://127.0.0.1:9400',
    portOffset: 0,
    startedAt: '2026-01-01T00:00:00Z',
    detached: false,
    chaosToken: 'secret',
    remediation: true,
  };

  it('is written atomically, readable by its owner only', () => {
    const layout = stateLayout(dir());
    writeSessionInfo(layout, info);
    expect(statSync(layout.sessionFile).mode & 0o777).toBe(0o600);
    expect(readSessionState(layout)).toEqual({ kind: 'ok', info });
  });

  it('truncated or incomplete, is reported as damaged with what was found', () => {
    const layout = stateLayout(dir());
    mkdirSync(layout.root, { recursive: true });
    writeFileSync(layout.sessionFile, JSON.stringify(info).slice(0, 40));
    const s = readSessionState(layout);
    expect(s.kind).toBe('damaged');
    expect((s as { reason: string }).reason).toMatch(/session\.json is damaged: .*JSON.* \(40 bytes: "\{\\"session\\":\\"abc\\"/);
    writeFileSync(layout.sessionFile, JSON.stringify({ ...info, chaosToken: undefined, hostPid: 'x' }));
    expect((readSessionState(layout) as { reason: string }).reason).toMatch(/missing or invalid chaosToken, hostPid/);
    expect(readSessionState(stateLayout(dir()))).toEqual({ kind: 'none' });
  });
});

describe('the pid registry', () => {
  it('writes entries atomically (0600) and reports a damaged one instead of deleting it', () => {
    const registry = new PidRegistry(join(dir(), 'pids'));
    registry.add({ pid: process.pid, name: 'me', command: ['node'], session: 's' });
    expect(statSync(join(registry.dir, `${process.pid}.json`)).mode & 0o777).toBe(0o600);
    writeFileSync(join(registry.dir, '4242.json'), '{"pid":42');
    const { entries, damaged } = registry.read();
    expect(entries.map((e) => e.pid)).toEqual([process.pid]);
    expect(damaged).toEqual([{ file: join(registry.dir, '4242.json'), pid: 4242, reason: expect.stringMatching(/JSON.*\(9 bytes: "\{\\"pid\\":42"\)/) }]);
    // Still there: only `down`, having checked the process, removes it.
    expect(readFileSync(join(registry.dir, '4242.json'), 'utf8')).toBe('{"pid":42');
    expect(isAlive(process.pid)).toBe(true);
  });
});
