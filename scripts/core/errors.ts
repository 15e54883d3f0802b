/**
 * One error type for the whole sandbox: a stable code (for scripts and tests), a hint that says
 * how to fix it, and the exit code the CLI maps it to. The CLI catches it at a single boundary.
 */
export const ExitCode = {
  ok: 0,
  scenarioFailed: 1,
  invalidInput: 2,
  environment: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable error codes. Add, never rename: CI pipelines match on them. */
export type SandboxErrorCode =
  | 'INVALID_SCENARIO'
  | 'INVALID_CONFIG'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_COMPONENT'
  | 'BINARY_MISSING'
  | 'PORT_IN_USE'
  | 'READINESS_TIMEOUT'
  | 'COMPONENT_DIED'
  | 'RUNTIME_UNAVAILABLE'
  | 'NO_SANDBOX_RUNNING'
  | 'SANDBOX_ALREADY_RUNNING'
  | 'INJECTION_FAILED'
  | 'REMOTE_ERROR'
  | 'IMAGE_UNAVAILABLE'
  | 'COMPONENT_UNAVAILABLE'
  | 'SANDBOX_DIED'
  /** The sandbox could not be brought back to a clean state between scenarios (it runs no more of them). */
  | 'SANDBOX_NOT_CLEAN'
  /** A file the sandbox writes (a report, state) could not be written: permissions, a full disk. */
  | 'WRITE_FAILED'
  /** A reporter's hook threw; the run and the other reporters went on. */
  | 'REPORTER_FAILED'
  | 'INTERRUPTED';

const exitFor: Record<SandboxErrorCode, ExitCode> = {
  INVALID_SCENARIO: ExitCode.invalidInput,
  INVALID_CONFIG: ExitCode.invalidInput,
  INVALID_ARGUMENT: ExitCode.invalidInput,
  UNKNOWN_COMPONENT: ExitCode.invalidInput,
  BINARY_MISSING: ExitCode.environment,
  PORT_IN_USE: ExitCode.environment,
  READINESS_TIMEOUT: ExitCode.environment,
  COMPONENT_DIED: ExitCode.environment,
  RUNTIME_UNAVAILABLE: ExitCode.environment,
  NO_SANDBOX_RUNNING: ExitCode.environment,
  SANDBOX_ALREADY_RUNNING: ExitCode.environment,
  INJECTION_FAILED: ExitCode.environment,
  REMOTE_ERROR: ExitCode.environment,
  IMAGE_UNAVAILABLE: ExitCode.environment,
  COMPONENT_UNAVAILABLE: ExitCode.environment,
  SANDBOX_DIED: ExitCode.environment,
  SANDBOX_NOT_CLEAN: ExitCode.environment,
  WRITE_FAILED: ExitCode.environment,
  REPORTER_FAILED: ExitCode.environment,
  INTERRUPTED: ExitCode.interrupted,
};

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly code: SandboxErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  /** Extra lines shown under the message (validation problems, a log tail). */
  readonly details: readonly string[];

  constructor(
    code: SandboxErrorCode,
    message: string,
    options: { hint?: string; details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = exitFor[code];
  }

  /** Human-readable form used by the CLI boundary. */
  format(): string {
    const lines = [`error[${this.code}]: ${this.message}`];
    for (const d of this.details) lines.push(`  ${d}`);
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

export function isSandboxError(e: unknown): e is SandboxError {
  return e instanceof SandboxError;
}

/**
 * The process boundary of every entry (the CLI, the detached host): a SandboxError printed with
 * its code and hint and its own exit code, anything else as an internal error (exit 3).
 */
export function reportFailure(e: unknown, write: (text: string) => void = (t) => void process.stderr.write(t)): ExitCode {
  if (isSandboxError(e)) {
    write(`${e.format()}\n`);
    return e.exitCode;
  }
  write(`internal error: ${(e as Error).stack ?? String(e)}\n`);
  return ExitCode.environment;
}
