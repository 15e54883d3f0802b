import { SandboxError } from '../core/errors.ts';
import { resolveStateDir, stateLayout, type StateLayout } from '../runtime/state.ts';

/** Options every command shares; SANDBOX_STATE_DIR and SANDBOX_PORT_OFFSET set their defaults. */
export interface GlobalOptions {
  stateDir?: string;
  portOffset?: string;
}

export function layoutFrom(opts: GlobalOptions): StateLayout {
  return stateLayout(resolveStateDir(opts.stateDir));
}

export function portOffsetFrom(opts: GlobalOptions): number {
  const raw = opts.portOffset ?? process.env.SANDBOX_PORT_OFFSET ?? '0';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new SandboxError('INVALID_ARGUMENT', `port offset "${raw}" is not a whole number`, {
      hint: 'use --port-offset <n> or SANDBOX_PORT_OFFSET=<n>, e.g. 1000',
    });
  }
  return n;
}

export const out = (line = '') => process.stdout.write(`${line}\n`);
export const err = (line = '') => process.stderr.write(`${line}\n`);
