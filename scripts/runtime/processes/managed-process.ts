import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { OWNER_ENV } from './identity.ts';
import type { PidRegistry } from './pid-registry.ts';
import { signalGroup } from './reap.ts';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  registry: PidRegistry;
  session: string;
}

/**
 * A child process in its own process group (so a signal reaches everything it started), with
 * stdout and stderr appended to a log file and an entry in the pid registry while it lives.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess, options: SpawnOptions) {
    this.child = child;
    this.name = options.name;
    this.logFile = options.logFile;
    if (child.pid === undefined) throw new Error(`spawn of ${options.command} returned no pid`);
    this.pid = child.pid;
    const registry = options.registry;
    registry.add({ pid: this.pid, name: options.name, command: [basename(options.command), ...options.args.slice(0, 3)], session: options.session });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        registry.remove(this.pid);
        resolve(this.exit);
      });
    });
  }

  /** Starts the process; rejects when the binary cannot be executed at all. */
  static async spawn(options: SpawnOptions): Promise<ManagedProcess> {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    try {
      const child = spawn(options.command, options.args, {
        cwd: options.cwd,
        // The owner mark: `down` finds the process by it even if its pid file is damaged.
        env: { ...(options.env ?? process.env), [OWNER_ENV]: dirname(options.registry.dir) },
        // detached: a new process group and session, so Ctrl-C in the terminal reaches only the
        // CLI, which then stops children in order; and kill(-pid) reaches grandchildren.
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
      return new ManagedProcess(child, options);
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get exitInfo(): ProcessExit | undefined {
    return this.exit;
  }

  /** SIGTERM the group, SIGKILL after the grace period; resolves once the process has exited. */
  async stop(graceMs = 3000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) signalGroup(this.pid, signal);
  }

  /** Last lines of the log, for error messages. */
  logTail(lines = 12): string[] {
    return tailOfFile(this.logFile, lines);
  }
}

export function tailOfFile(file: string, lines: number): string[] {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
