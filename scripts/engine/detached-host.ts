import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError, isSandboxError } from '../core/errors.ts';
import { parseWithout } from '../runtime/components.ts';
import { parseRuntimeChoice } from '../runtime/select-runtime.ts';
import { startSandbox, type Sandbox } from '../runtime/session.ts';
import { stateLayout } from '../runtime/state.ts';
import { HOST_ERROR_FILE, reportReady } from './detached-sandbox.ts';

/** What `startDetached` passes its host (as command-line flags, see host-main.ts). */
export interface DetachedHostOptions {
  /** Absolute. */
  stateDir: string;
  portOffset: number;
  /** `auto`, `native` or `docker` (checked here). */
  runtime: string;
  /** `--without` as given (default: SANDBOX_WITHOUT). */
  without?: string;
  remediation: boolean;
  /** The pipe on which it tells the process that detached it that it is ready. */
  readyFd?: string;
  log: (line: string) => void;
}

/**
 * The detached sandbox's own process (engine/host-main.ts, or the hidden `sandbox host`): starts
 * the sandbox, says so on the ready pipe, and runs it until SIGINT, SIGTERM or SIGHUP (`down`).
 * A start failure is written to <state>/host-error.json for the process that detached it to
 * report with the same code, message and hint, and rethrown.
 */
export async function runDetachedHost(opts: DetachedHostOptions): Promise<number> {
  const layout = stateLayout(opts.stateDir);
  const errorFile = join(layout.root, HOST_ERROR_FILE);
  rmSync(errorFile, { force: true });
  const interrupted = trapSignals(['SIGINT', 'SIGTERM', 'SIGHUP']);
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      runtime: parseRuntimeChoice(opts.runtime),
      stateDir: layout.root,
      portOffset: opts.portOffset,
      remediation: opts.remediation,
      without: parseWithout(opts.without),
      detached: true,
      log: opts.log,
      signal: interrupted.abort.signal,
    });
  } catch (e) {
    // The CLI that detached us reads this to fail with the same code, message and hint.
    const se = isSandboxError(e) ? e : new SandboxError('RUNTIME_UNAVAILABLE', (e as Error).message);
    writeFileSync(errorFile, JSON.stringify({ code: se.code, message: se.message, hint: se.hint, details: se.details }));
    throw e;
  }
  reportReady(opts.readyFd, sandbox.status());
  await interrupted.promise;
  await sandbox.stop();
  return 0;
}

function trapSignals(signals: NodeJS.Signals[]): { promise: Promise<void>; abort: AbortController } {
  const abort = new AbortController();
  const promise = new Promise<void>((resolve) => {
    for (const s of signals) {
      process.on(s, () => {
        abort.abort();
        resolve();
      });
    }
  });
  return { promise, abort };
}
