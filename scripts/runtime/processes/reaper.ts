import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OWNER_ENV } from './identity.ts';
import type { HostLauncher } from './host-build.ts';
import type { DockerLeftovers } from '../docker/leftovers.ts';
import { leftoversLine, RELEASE_LINE } from './reaper-protocol.ts';

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
        env: { ...process.env, [OWNER_ENV]: dirname(pidsDir) },
      });
      child.unref();
      // A reaper that is gone (killed with the host's group) must not crash the host on a write.
      child.stdin?.on('error', () => undefined);
      return new Reaper(child);
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * If the host dies without release(), also remove these containers and networks (docker
   * runtime). Sent over the same pipe, before anything is created.
   */
  removeOnDeath(leftovers: DockerLeftovers): void {
    if (this.child.stdin && !this.child.stdin.destroyed) this.child.stdin.write(leftoversLine(leftovers));
  }

  release(): void {
    if (this.child.stdin && !this.child.stdin.destroyed) {
      this.child.stdin.end(RELEASE_LINE);
    }
  }
}
