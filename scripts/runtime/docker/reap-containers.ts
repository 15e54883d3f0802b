import { engineHints } from './engine.ts';

/** Every container the sandbox starts carries its state dir (session.ts); reaping goes by it. */
export const STATE_DIR_LABEL = 'org.observability-sandbox.state-dir';

/**
 * Removes every container labelled with this state dir, running or not: what a killed sandbox
 * (SIGKILL, a crash, a lost session.json) left behind, with or without testcontainers' Ryuk.
 * Free where no engine could exist (nothing is loaded); never throws and never hangs: an engine
 * that does not answer within the deadline leaves the containers for the next command.
 * Returns how many it removed.
 */
export async function reapContainers(stateDir: string, deadlineMs = 10_000): Promise<number> {
  if (engineHints().length === 0) return 0;
  const work = (async () => {
    const { removeSandboxContainers } = await import('./remove.ts');
    return removeSandboxContainers({ [STATE_DIR_LABEL]: stateDir });
  })().catch(() => 0);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(0), deadlineMs);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
