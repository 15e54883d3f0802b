import { SandboxError } from '../core/errors.ts';
import { StateLock } from '../runtime/state-lock.ts';
import type { StateLayout } from '../runtime/state.ts';

/**
 * The run lock of a sandbox's state dir, or a refusal naming the run that holds it. One scenario
 * run (or workshop round) at a time: runs share one Prometheus and Alertmanager, and a second
 * run's faults and alerts would fail the first's expectations.
 */
export function takeRunLock(layout: StateLayout, purpose = 'scenario run'): StateLock {
  return StateLock.acquire(layout.runLockFile, purpose, {
    refusal: (owner) =>
      new SandboxError('SANDBOX_ALREADY_RUNNING', `another ${owner.purpose} is using the sandbox in ${layout.root}: pid ${owner.pid} (\`${owner.command}\`), since ${owner.acquiredAt}`, {
        hint: 'scenario runs share one Prometheus and Alertmanager, so they go one at a time: wait for it to finish, or give this run its own sandbox (--state-dir and --port-offset)',
      }),
  });
}
