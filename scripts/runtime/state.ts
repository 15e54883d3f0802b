import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './config/render.ts';
import { services } from '../stack/services.ts';
import type { RuntimeName } from './types.ts';

/** Everything a running sandbox keeps on disk, under `.sandbox/` in the working directory. */
export interface StateLayout {
  root: string;
  sessionFile: string;
  /** The state dir's owner (the session host): state-lock.ts. */
  lockFile: string;
  /** The scenario run (or workshop) using this sandbox now: one at a time. */
  runLockFile: string;
  pidsDir: string;
  logsDir: string;
  reportsDir: string;
  stackDir(component: string): string;
  configDir(component: string): string;
  dataDir(component: string): string;
  logFile(component: string): string;
}

export function resolveStateDir(explicit?: string): string {
  return resolve(explicit ?? process.env.SANDBOX_STATE_DIR ?? join(process.cwd(), '.sandbox'));
}

export function stateLayout(root: string): StateLayout {
  const stackDir = (c: string) => join(root, 'stack', c);
  return {
    root,
    sessionFile: join(root, 'session.json'),
    lockFile: join(root, 'owner.lock'),
    runLockFile: join(root, 'run.lock'),
    pidsDir: join(root, 'pids'),
    logsDir: join(root, 'logs'),
    reportsDir: join(root, 'reports'),
    stackDir,
    configDir: (c) => join(stackDir(c), 'config'),
    dataDir: (c) => join(stackDir(c), 'data'),
    // A service sharing a process (the notification sink, the remediation controller) logs to
    // that process's file: `sandbox logs notification-sink` shows platform-receivers.log.
    logFile: (c) => join(root, 'logs', `${services.find((s) => s.name === c)?.sharedProcess ?? c}.log`),
  };
}

/** What another CLI process needs to find and drive a running sandbox. */
export interface SessionInfo {
  session: string;
  runtime: RuntimeName;
  hostPid: number;
  /** The host's start time (/proc/<pid>/stat): `down` and `status` act only on that very process. */
  hostStartTicks: number | null;
  controlUrl: string;
  portOffset: number;
  startedAt: string;
  detached: boolean;
  /**
   * The session's token: every control surface (control API, chaos and admin routes, the
   * remediation controller, the notification sink) takes it. The file is readable by its owner
   * only. (Named for the chaos API, where it started; kept for scripts that read it.)
   */
  chaosToken: string;
  remediation: boolean;
}

export function writeSessionInfo(layout: StateLayout, info: SessionInfo): void {
  mkdirSync(layout.root, { recursive: true });
  // 0600 from its first byte: the token is never readable by others, not even for a moment.
  writeFileAtomic(layout.sessionFile, `${JSON.stringify(info, null, 2)}\n`, 0o600);
}

/** session.json as found: absent, a session, or damaged (with what is wrong and what was there). */
export type SessionState = { kind: 'none' } | { kind: 'ok'; info: SessionInfo } | { kind: 'damaged'; reason: string };

export function readSessionState(layout: StateLayout): SessionState {
  if (!existsSync(layout.sessionFile)) return { kind: 'none' };
  let text = '';
  try {
    text = readFileSync(layout.sessionFile, 'utf8');
    const info = JSON.parse(text) as Partial<SessionInfo>;
    const missing = (['session', 'controlUrl', 'chaosToken'] as const).filter((k) => typeof info[k] !== 'string' || info[k] === '');
    if (!Number.isInteger(info.hostPid) || (info.hostPid ?? 0) <= 0) missing.push('hostPid' as never);
    if (missing.length > 0) throw new Error(`missing or invalid ${missing.join(', ')}`);
    return { kind: 'ok', info: { hostStartTicks: null, ...info } as SessionInfo };
  } catch (e) {
    const shown = text.length > 0 ? `: ${JSON.stringify(text.slice(0, 80))}${text.length > 80 ? '…' : ''}` : '';
    return { kind: 'damaged', reason: `${layout.sessionFile} is damaged: ${(e as Error).message} (${text.length} bytes${shown})` };
  }
}

/** The recorded session, or null when there is none or it cannot be read (readSessionState says which). */
export function readSessionInfo(layout: StateLayout): SessionInfo | null {
  const s = readSessionState(layout);
  return s.kind === 'ok' ? s.info : null;
}

export function clearSessionInfo(layout: StateLayout): void {
  rmSync(layout.sessionFile, { force: true });
}
