import { isSandboxError, type SandboxError } from '../../scripts/core/errors.ts';

/** The SandboxError `f` throws; anything else it throws, or not throwing, fails the test. */
export function caught(f: () => unknown): SandboxError {
  try {
    f();
  } catch (e) {
    if (isSandboxError(e)) return e;
    throw e;
  }
  throw new Error('expected a SandboxError');
}
