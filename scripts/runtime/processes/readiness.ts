import { SandboxError } from '../../core/errors.ts';
import { Wait, waitFor } from '../../core/wait.ts';
import type { ManagedProcess } from './managed-process.ts';

/**
 * Wait until an HTTP endpoint answers 2xx. Fails early when the process dies, and with a
 * message that names the component and shows its last log lines when time runs out.
 */
export async function waitForHttpReady(options: {
  component: string;
  url: string;
  /** Sent with each probe (the stack's login, for a component that asks for it everywhere). */
  headers?: Record<string, string>;
  timeoutMs: number;
  process?: ManagedProcess;
  /** For what is not a ManagedProcess (a container): true once it has exited. */
  exited?: () => boolean;
  intervalMs?: number;
}): Promise<void> {
  const { component, url, timeoutMs } = options;
  const proc = options.process;
  await waitFor(Wait.forHttp(url, options.headers ? { init: { headers: options.headers } } : {}), {
    timeoutMs,
    intervalMs: options.intervalMs ?? 50,
    failFast: () => {
      if (proc && !proc.running) {
        const exit = proc.exitInfo;
        return new SandboxError('COMPONENT_DIED', `${component} exited before it became ready (${exit?.signal ?? `exit code ${exit?.code}`})`, {
          details: logDetails(proc),
          hint: `see the full log in ${proc.logFile}`,
        });
      }
      return options.exited?.() ? new SandboxError('COMPONENT_DIED', `${component} exited before it became ready`) : null;
    },
    onTimeout: (observed) =>
      new SandboxError('READINESS_TIMEOUT', `${component} did not become ready within ${timeoutMs / 1000}s (${url}: ${observed === 'nothing yet' ? 'no answer yet' : observed})`, {
        details: proc ? logDetails(proc) : [],
        hint: proc ? `see the full log in ${proc.logFile}` : `check that ${url} answers`,
      }),
  });
}

function logDetails(proc: ManagedProcess): string[] {
  const tail = proc.logTail();
  return tail.length ? [`last log lines of ${proc.name}:`, ...tail.map((l) => `  | ${l}`)] : [`${proc.name} wrote no log lines`];
}
