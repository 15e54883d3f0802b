import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { SandboxError } from '../core/errors.ts';
import { identityOf, isSameProcess, type ProcessIdentity } from './processes/identity.ts';

/**
 * One owner at a time for a state directory (and, separately, for the scenario runs against
 * its sandbox). The lock file holds its owner's pid and process start time: an owner that was
 * killed leaves a file whose process is gone (or is another process under a reused pid), and
 * the next taker takes over. No heartbeat, no timeout: ownership is a fact of the process table.
 *
 * Taking it is atomic: the content is written to a private file first, then hard-linked to the
 * lock's name, which fails when a lock exists. A stale lock is moved aside by rename and the
 * move is checked by inode, so two takers cannot both remove it and each think they own it.
 */
export interface LockOwner extends ProcessIdentity {
  /** What the owner does: `sandbox up`, `scenario run`, ... (for the refusal message). */
  purpose: string;
  /** The owner's command line, as the user typed it. */
  command: string;
  acquiredAt: string;
  /** The sandbox session the owner runs, when it has one. */
  session?: string;
}

export type LockState =
  | { state: 'free' }
  | { state: 'held'; owner: LockOwner }
  | { state: 'stale'; owner: LockOwner }
  | { state: 'damaged'; reason: string };

export class StateLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
    /** What taking it found and replaced (a stale or damaged lock), for the log. */
    readonly replaced: string | null,
  ) {}

  /**
   * Take the lock, or throw SANDBOX_ALREADY_RUNNING naming the live owner. A stale or damaged
   * lock is taken over (and said so in `replaced`).
   */
  static acquire(file: string, purpose: string, options: { session?: string; refusal?: (owner: LockOwner) => SandboxError } = {}): StateLock {
    const owner: LockOwner = {
      ...identityOf(process.pid),
      purpose,
      command: process.argv.slice(1).join(' '),
      acquiredAt: new Date().toISOString(),
      ...(options.session ? { session: options.session } : {}),
    };
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o600, flag: 'wx' });
    let replaced: string | null = null;
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          linkSync(tmp, file);
          return new StateLock(file, owner, replaced);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const seen = inspect(file);
        if (!seen) continue; // gone meanwhile: try again
        if (seen.lock.state === 'held') {
          throw options.refusal?.(seen.lock.owner) ?? heldError(file, seen.lock.owner);
        }
        if (seen.lock.state === 'free') continue;
        replaced = seen.lock.state === 'stale' ? `a stale lock of pid ${seen.lock.owner.pid} (${seen.lock.owner.purpose}), which is no longer running` : `a damaged lock (${seen.lock.reason})`;
        removeIfSame(file, seen.ino);
      }
      throw new SandboxError('SANDBOX_ALREADY_RUNNING', `could not take ${file}: other processes keep taking it`, { hint: 'try again in a moment' });
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Give it up (idempotent); only removes the file while it is still this owner's. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const now = readLock(this.file);
    if ((now.state === 'held' || now.state === 'stale') && now.owner.pid === this.owner.pid && now.owner.acquiredAt === this.owner.acquiredAt) {
      rmSync(this.file, { force: true });
    }
  }
}

/** What a lock file says now: nobody, a live owner, a dead one, or something unreadable. */
export function readLock(file: string): LockState {
  return inspect(file)?.lock ?? { state: 'free' };
}

function inspect(file: string): { ino: number; lock: LockState } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const ino = fstatSync(fd).ino;
    const text = readFileSync(fd, 'utf8');
    let owner: LockOwner;
    try {
      owner = JSON.parse(text) as LockOwner;
      if (!Number.isInteger(owner.pid) || owner.pid <= 0) throw new Error(`no pid in it`);
    } catch (e) {
      return { ino, lock: { state: 'damaged', reason: `${file}: ${(e as Error).message} (${text.length} bytes${text ? `: ${JSON.stringify(text.slice(0, 60))}` : ''})` } };
    }
    return { ino, lock: isSameProcess({ pid: owner.pid, startTicks: owner.startTicks ?? null }) ? { state: 'held', owner } : { state: 'stale', owner } };
  } finally {
    closeSync(fd);
  }
}

/** Move the lock aside if it is still the file we inspected; put it back if someone replaced it meanwhile. */
function removeIfSame(file: string, ino: number): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (lstatSync(aside).ino !== ino) {
    // A new owner's lock, taken between our look and our move: give it back.
    try {
      linkSync(aside, file);
    } catch {
      /* a third taker holds it now; the one we moved lost a race it could not see */
    }
  }
  rmSync(aside, { force: true });
}

function heldError(file: string, owner: LockOwner): SandboxError {
  return new SandboxError('SANDBOX_ALREADY_RUNNING', `${file} is held by pid ${owner.pid} (${owner.purpose}, since ${owner.acquiredAt})`, {
    hint: 'wait for it to finish, or stop it (`npx sandbox down`)',
  });
}
