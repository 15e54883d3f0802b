import { engineHints } from './engine.ts';

/** Every container the sandbox starts carries its state dir (session.ts); reaping goes by it. */
export const STATE_DIR_LABEL = 'org.observability-sandbox.state-dir';

/**
 * Removes every container labelled with this state dir, running or not, and then every network
 * so labelled (the sandbox's bridge network on Docker Desktop): what a killed sandbox (SIGKILL, a
 * crash, a lost session.json) left behind, with or without testcontainers' Ryuk, when its reaper
 * process could not remove them (killed too, or the engine did not answer in time).
 * Free where no engine could exist (nothing is loaded); never throws and never hangs: an engine
 * that does not answer within the deadline leaves them for the next command.
 * Returns how many containers and networks it removed.
 */
export async function reapContainers(stateDir: string, deadlineMs = 10_000): Promise<number> {
  if (engineHints().length === 0) return 0;
  const work = (async () => {
    const { removeSandboxResources } = await import('./remove.ts');
    const removed = await removeSandboxResources({ [STATE_DIR_LABEL]: stateDir });
    return removed.containers + removed.networks;
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
