import { ExitCode } from '../../core/errors.ts';
import { parseRuntimeChoice } from '../../runtime/select-runtime.ts';
import { parseWithout } from '../../runtime/components.ts';
import type { Sandbox } from '../../runtime/session.ts';
import type { StateLayout } from '../../runtime/state.ts';
import { startDetached } from '../../engine/detached-sandbox.ts';
import { layoutFrom, out, portOffsetFrom, type GlobalOptions } from '../context.ts';
import { statusLine, statusTable } from '../format.ts';

export interface UpOptions extends GlobalOptions {
  runtime: string;
  /** `--without grafana,loki` (default: SANDBOX_WITHOUT). */
  without?: string;
  detach?: boolean;
  remediation: boolean;
}

/** `sandbox host`: the pipe on which it tells the `up --detach` that started it that it is ready. */
export interface HostOptions extends UpOptions {
  readyFd?: string;
}

/**
 * The sandbox's modules, loaded only where a sandbox starts in this process: `up --detach`
 * starts its host first, without waiting for them (the host loads them itself).
 */
const sessionModule = () => import('../../runtime/session.ts');

/** `sandbox up`: start everything, print where it is; in the foreground, Ctrl-C tears it down. */
export async function upCommand(opts: UpOptions): Promise<number> {
  const layout = layoutFrom(opts);
  const runtime = parseRuntimeChoice(opts.runtime);
  const without = parseWithout(opts.without);
  if (opts.detach) return detach(opts, layout);
  const { startSandbox } = await sessionModule();
  const interrupted = trapSignals();
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      runtime,
      stateDir: layout.root,
      portOffset: portOffsetFrom(opts),
      remediation: opts.remediation,
      without,
      log: out,
      signal: interrupted.abort.signal,
    });
  } catch (e) {
    // Ctrl-C during the start: what started is stopped (startSandbox's own clean-up); 130.
    if (interrupted.fired) {
      out('interrupted while starting; stopped.');
      return ExitCode.interrupted;
    }
    throw e;
  }
  try {
    if (interrupted.fired) return ExitCode.interrupted;
    printReady(sandbox, layout);
    out('Ctrl-C stops everything.');
    await liveStatus(sandbox, interrupted.promise);
    return 0;
  } finally {
    if (process.stdout.isTTY) out();
    out('stopping...');
    await sandbox.stop();
    out('stopped.');
  }
}

/**
 * Hidden `sandbox host`: the detached sandbox's own process, run from the CLI. `up --detach`
 * starts the lean entry engine/host-main.ts instead where the CLI runs from a build (it skips
 * loading the CLI); this is what it starts otherwise (the CLI under tsx, or its build failed).
 */
export async function hostCommand(opts: HostOptions): Promise<number> {
  const { runDetachedHost } = await import('../../engine/detached-host.ts');
  return runDetachedHost({
    stateDir: layoutFrom(opts).root,
    portOffset: portOffsetFrom(opts),
    runtime: opts.runtime,
    ...(opts.without !== undefined ? { without: opts.without } : {}),
    remediation: opts.remediation,
    ...(opts.readyFd !== undefined ? { readyFd: opts.readyFd } : {}),
    log: out,
  });
}

async function detach(opts: UpOptions, layout: StateLayout): Promise<number> {
  const { pid, status } = await startDetached({
    stateDir: layout.root,
    portOffset: portOffsetFrom(opts),
    runtime: opts.runtime,
    ...(opts.without !== undefined ? { without: opts.without } : {}),
    remediation: opts.remediation,
  });
  out(`sandbox running in the background (${status.runtime} runtime, pid ${pid})`);
  out(statusTable(status, layout.sessionFile));
  out('`npx sandbox status` shows it, `npx sandbox down` stops it.');
  return 0;
}

function printReady(sandbox: Sandbox, layout: StateLayout): void {
  const doc = sandbox.status();
  out(`sandbox ready (${doc.runtime} runtime, session ${doc.session})`);
  out(statusTable(doc, layout.sessionFile));
  if (!sandbox.info.remediation) out('remediation is off: the controller records what it would do and acts on nothing.');
}

/** Live status: one line rewritten in place on a terminal, a new line only on change otherwise. */
async function liveStatus(sandbox: Sandbox, stop: Promise<void>): Promise<void> {
  let last = '';
  const tick = () => {
    const line = statusLine(sandbox.status());
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`);
    else if (line.slice(10) !== last) out(line);
    last = line.slice(10);
  };
  tick();
  const timer = setInterval(tick, 1000);
  await stop;
  clearInterval(timer);
}

function trapSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): { fired: boolean; promise: Promise<void>; abort: AbortController } {
  const state = { fired: false, promise: Promise.resolve(), abort: new AbortController() };
  state.promise = new Promise<void>((resolve) => {
    for (const s of signals) {
      process.on(s, () => {
        state.fired = true;
        state.abort.abort();
        resolve();
      });
    }
  });
  return state;
}
