import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusDocument } from '../core/control-protocol.ts';
import { SandboxError, type SandboxErrorCode } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { Wait, waitFor } from '../core/wait.ts';
import { OWNER_ENV } from '../runtime/processes/identity.ts';
import { tailOfFile } from '../runtime/processes/managed-process.ts';
import { isAlive } from '../runtime/processes/pid-registry.ts';
import { verifySession } from '../runtime/session.ts';
import { readSessionInfo, stateLayout } from '../runtime/state.ts';

export interface DetachedOptions {
  stateDir: string;
  portOffset: number;
  /** `auto`, `native` or `docker`, as `--runtime` takes it (checked by the host). */
  runtime: string;
  /** `--without` as given (the host parses it). */
  without?: string;
  remediation: boolean;
}

/** The file the host writes its start failure to, for the process that detached it. */
export const HOST_ERROR_FILE = 'host-error.json';

/**
 * A sandbox in the background (`sandbox up --detach`, the workshop): a detached `sandbox host`
 * process owns it, and this returns once its control API answers as its session with every
 * component's status, or fails with the host's own error (code, message, hint) when it could not
 * start. The host carries the owner mark, so `down` finds it even when its files are damaged.
 */
export async function startDetached(options: DetachedOptions): Promise<{ pid: number; status: StatusDocument; logFile: string }> {
  const layout = stateLayout(options.stateDir);
  mkdirSync(layout.logsDir, { recursive: true });
  const logFile = join(layout.logsDir, 'host.log');
  const fd = openSync(logFile, 'a');
  const args = [join(PROJECT_ROOT, 'bin/sandbox.mjs'), 'host', '--runtime', options.runtime, '--state-dir', layout.root, '--port-offset', String(options.portOffset)];
  if (!options.remediation) args.push('--no-remediation');
  if (options.without !== undefined) args.push('--without', options.without);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: { ...process.env, [OWNER_ENV]: layout.root } });
  closeSync(fd);
  child.unref();
  const pid = child.pid!;
  const errorFile = join(layout.root, HOST_ERROR_FILE);
  const status = await waitFor(
    Wait.until('the background sandbox to be ready', async () => {
      const info = readSessionInfo(layout);
      const verified = info && info.hostPid === pid ? await verifySession(info) : null;
      return verified?.ok ? verified.status : null;
    }),
    {
      timeoutMs: 120_000,
      intervalMs: 50,
      failFast: () => {
        if (isAlive(pid)) return null;
        if (existsSync(errorFile)) {
          const e = JSON.parse(readFileSync(errorFile, 'utf8')) as { code: SandboxErrorCode; message: string; hint?: string; details?: string[] };
          return new SandboxError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}), details: e.details ?? [] });
        }
        return new SandboxError('RUNTIME_UNAVAILABLE', 'the background sandbox exited during start', { details: tailOfFile(logFile, 15), hint: `see ${logFile}` });
      },
      onTimeout: () => new SandboxError('READINESS_TIMEOUT', 'the background sandbox did not become ready within 120s', { hint: `see ${logFile}` }),
    },
  );
  return { pid, status, logFile };
}
