import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusDocument } from '../core/control-protocol.ts';
import { SandboxError, type SandboxErrorCode } from '../core/errors.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import { OWNER_ENV } from '../runtime/processes/identity.ts';
import { tailOfFile } from '../runtime/processes/managed-process.ts';
import { stateLayout } from '../runtime/state.ts';

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

/** The host's file descriptor on which it says it is ready (`--ready-fd`). */
const READY_FD = 3;

/**
 * Set by bin/sandbox.mjs when the CLI runs from a build: the built host entry (engine/host-main.ts,
 * built with the CLI), and the built CLI module. The host starts from the former, which loads only
 * the sandbox's modules (not the CLI's parser and commands), without re-checking the build
 * (rehashing every CLI source) that the detaching CLI just checked.
 */
const HOST_ENTRY = Symbol.for('observability-sandbox.host-entry');
const CLI_ENTRY = Symbol.for('observability-sandbox.cli-entry');

/** How to start the host: the built host entry, else the CLI's hidden `sandbox host` command. */
export function hostCommandLine(): string[] {
  const globals = globalThis as Record<symbol, unknown>;
  const hostEntry = globals[HOST_ENTRY];
  if (typeof hostEntry === 'string') return [hostEntry];
  const builtCli = globals[CLI_ENTRY];
  return [typeof builtCli === 'string' ? builtCli : join(PROJECT_ROOT, 'bin/sandbox.mjs'), 'host'];
}

/**
 * A sandbox in the background (`sandbox up --detach`, the workshop): a detached `sandbox host`
 * process owns it, and this returns once the host says, on a pipe, that its sandbox runs, with
 * every component's status (what its control API's /status answers; session.json is written by
 * then), or fails with the host's own error (code, message, hint) when it exits without having
 * started. The host carries the owner mark, so `down` finds it even when its files are damaged.
 */
export async function startDetached(options: DetachedOptions): Promise<{ pid: number; status: StatusDocument; logFile: string }> {
  const layout = stateLayout(options.stateDir);
  mkdirSync(layout.logsDir, { recursive: true });
  const logFile = join(layout.logsDir, 'host.log');
  const fd = openSync(logFile, 'a');
  const args = [...hostCommandLine(), '--runtime', options.runtime, '--state-dir', layout.root, '--port-offset', String(options.portOffset), '--ready-fd', String(READY_FD)];
  if (!options.remediation) args.push('--no-remediation');
  if (options.without !== undefined) args.push('--without', options.without);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd, 'pipe'], cwd: process.cwd(), env: { ...process.env, [OWNER_ENV]: layout.root } });
  closeSync(fd);
  const pid = child.pid!;
  const errorFile = join(layout.root, HOST_ERROR_FILE);
  const channel = child.stdio[READY_FD]!;
  let timer: NodeJS.Timeout | undefined;
  let onExit = () => undefined as void;
  try {
    const status = await new Promise<StatusDocument>((resolve, reject) => {
      let received = '';
      channel.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        const end = received.indexOf('\n');
        if (end < 0) return;
        try {
          resolve((JSON.parse(received.slice(0, end)) as { status: StatusDocument }).status);
        } catch {
          reject(new SandboxError('RUNTIME_UNAVAILABLE', 'the background sandbox said something other than ready', { details: [received.slice(0, end)], hint: `see ${logFile}` }));
        }
      });
      channel.on('error', () => undefined); // the host's exit says what happened
      child.once('error', (e) => reject(new SandboxError('RUNTIME_UNAVAILABLE', `the background sandbox could not be started: ${e.message}`, { hint: `see ${logFile}` })));
      onExit = () => {
        if (existsSync(errorFile)) {
          const e = JSON.parse(readFileSync(errorFile, 'utf8')) as { code: SandboxErrorCode; message: string; hint?: string; details?: string[] };
          reject(new SandboxError(e.code, e.message, { ...(e.hint ? { hint: e.hint } : {}), details: e.details ?? [] }));
        } else {
          reject(new SandboxError('RUNTIME_UNAVAILABLE', 'the background sandbox exited during start', { details: tailOfFile(logFile, 15), hint: `see ${logFile}` }));
        }
      };
      child.once('exit', onExit);
      timer = setTimeout(() => reject(new SandboxError('READINESS_TIMEOUT', 'the background sandbox did not become ready within 120s', { hint: `see ${logFile}` })), 120_000);
    });
    return { pid, status, logFile };
  } finally {
    clearTimeout(timer);
    // The host outlives this process: nothing here waits for it any more.
    channel.destroy();
    child.off('exit', onExit);
    child.unref();
  }
}

/**
 * The host's side of the pipe: tells the process that detached it that the sandbox runs (then
 * closes the pipe). That process may be gone (Ctrl-C while it waited): the host runs on regardless.
 */
export function reportReady(readyFd: string | undefined, status: StatusDocument): void {
  if (readyFd === undefined) return;
  const fd = Number(readyFd);
  try {
    // Only a pipe: without one passed in, the number may be one of Node's own descriptors.
    const stat = fstatSync(fd);
    if (!stat.isFIFO() && !stat.isSocket()) return;
  } catch {
    return;
  }
  try {
    writeSync(fd, `${JSON.stringify({ status })}\n`);
  } catch {
    // nobody reads any more
  } finally {
    closeSync(fd);
  }
}
