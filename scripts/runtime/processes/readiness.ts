import { SandboxError } from '../../core/errors.ts';
import type { ManagedProcess } from './managed-process.ts';

/**
 * Poll an HTTP endpoint until it answers 2xx. Fails early when the process dies, and with a
 * message that names the component and shows its last log lines when time runs out.
 */
export async function waitForHttpReady(options: {
  component: string;
  url: string;
  timeoutMs: number;
  process?: ManagedProcess;
  /** For what is not a ManagedProcess (a container): true once it has exited. */
  exited?: () => boolean;
  intervalMs?: number;
}): Promise<void> {
  const { component, url, timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const proc = options.process;
    if (proc && !proc.running) {
      const exit = proc.exitInfo;
      throw new SandboxError('COMPONENT_DIED', `${component} exited before it became ready (${exit?.signal ?? `exit code ${exit?.code}`})`, {
        details: logDetails(proc),
        hint: `see the full log in ${proc.logFile}`,
      });
    }
    if (options.exited?.()) throw new SandboxError('COMPONENT_DIED', `${component} exited before it became ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return;
      lastProblem = `HTTP ${res.status}`;
    } catch (e) {
      lastProblem = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
  throw new SandboxError('READINESS_TIMEOUT', `${component} did not become ready within ${timeoutMs / 1000}s (${url}: ${lastProblem})`, {
    details: options.process ? logDetails(options.process) : [],
    hint: options.process ? `see the full log in ${options.process.logFile}` : `check that ${url} answers`,
  });
}

function logDetails(proc: ManagedProcess): string[] {
  const tail = proc.logTail();
  return tail.length ? [`last log lines of ${proc.name}:`, ...tail.map((l) => `  | ${l}`)] : [`${proc.name} wrote no log lines`];
}
