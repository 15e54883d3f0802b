import { dockerClient } from './engine.ts';

/**
 * Removes every container carrying all of `labels`, running or not, with its anonymous volumes.
 * `sandbox down` uses it for a detached docker sandbox, whose containers outlive the CLI that
 * started them (testcontainers' reaper only removes them once the owning process is gone).
 * Returns how many containers it removed.
 */
export async function removeSandboxContainers(labels: Readonly<Record<string, string>>): Promise<number> {
  const filters = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  // No labels would match every container on the engine: refuse rather than guess.
  if (filters.length === 0) throw new Error('removeSandboxContainers needs at least one label');
  const docker = await dockerClient();
  const found = await docker.listContainers({ all: true, filters: { label: filters } });
  await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  return found.length;
}
