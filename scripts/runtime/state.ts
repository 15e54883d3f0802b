import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './config/render.ts';
import type { RuntimeName } from './types.ts';

/** Everything a running sandbox keeps on disk, under `.sandbox/` in the working directory. */
export interface StateLayout {
  root: string;
  sessionFile: string;
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
    pidsDir: join(root, 'pids'),
    logsDir: join(root, 'logs'),
    reportsDir: join(root, 'reports'),
    stackDir,
    configDir: (c) => join(stackDir(c), 'config'),
    dataDir: (c) => join(stackDir(c), 'data'),
    logFile: (c) => join(root, 'logs', `${c}.log`),
  };
}

/** What another CLI process needs to find and drive a running sandbox. */
export interface SessionInfo {
  session: string;
  runtime: RuntimeName;
  hostPid: number;
  controlUrl: string;
  portOffset: number;
  startedAt: string;
  detached: boolean;
  /** Guards the services' chaos and admin APIs; the file is readable by its owner only. */
  chaosToken: string;
  remediation: boolean;
}

export function writeSessionInfo(layout: StateLayout, info: SessionInfo): void {
  mkdirSync(layout.root, { recursive: true });
  writeFileAtomic(layout.sessionFile, `${JSON.stringify(info, null, 2)}\n`);
  chmodSync(layout.sessionFile, 0o600);
}

export function readSessionInfo(layout: StateLayout): SessionInfo | null {
  if (!existsSync(layout.sessionFile)) return null;
  try {
    return JSON.parse(readFileSync(layout.sessionFile, 'utf8')) as SessionInfo;
  } catch {
    return null;
  }
}

export function clearSessionInfo(layout: StateLayout): void {
  rmSync(layout.sessionFile, { force: true });
}
