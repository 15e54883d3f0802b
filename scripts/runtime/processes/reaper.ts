import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostLauncher } from './host-build.ts';

/** The reaper's entry, for the host build. */
export const REAPER_ENTRY = fileURLToPath(new URL('./reaper-main.ts', import.meta.url));

/** Handle on the reaper process; release() tells it the host cleaned up by itself. */
export class Reaper {
  private constructor(private readonly child: ChildProcess) {}

  /** `removeFiles`: files the session leaves for others (an attached Prometheus' targets), deleted on reap. */
  static start(pidsDir: string, session: string, logFile: string, launcher?: HostLauncher, options: { removeFiles?: readonly string[] } = {}): Reaper {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [...(launcher?.args(REAPER_ENTRY) ?? ['--import', 'tsx', REAPER_ENTRY]), pidsDir, session, ...(options.removeFiles ?? [])], {
        detached: true,
        stdio: ['pipe', fd, fd],
      });
      child.unref();
      return new Reaper(child);
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  release(): void {
    if (this.child.stdin && !this.child.stdin.destroyed) {
      this.child.stdin.end('release\n');
    }
  }
}
