import type Docker from 'dockerode';
import { dockerClient } from './engine.ts';

/** What a removal by label took away. */
export interface Removed {
  containers: number;
  networks: number;
}

/** The part of dockerode a removal by label needs (the reaper builds its own client: leftovers.ts). */
export type LabelledEngine = Pick<Docker, 'listContainers' | 'getContainer' | 'listNetworks' | 'getNetwork'>;

/**
 * The engine's label filters for "carries every one of these labels". No labels would match
 * everything on the engine: refused rather than guessed.
 */
export function labelFilters(labels: Readonly<Record<string, string>>): string[] {
  const filters = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (filters.length === 0) throw new Error('removing by label needs at least one label');
  return filters;
}

/**
 * Removes every container carrying all of `labels`, running or not, with its anonymous volumes,
 * then (unless `networks: false`) every network carrying them: a network cannot go while a
 * container is attached, so containers first. Something already gone (another remover got
 * there first) is not an error; anything else the engine refuses is thrown after the rest ran.
 */
export async function removeLabelled(docker: LabelledEngine, labels: Readonly<Record<string, string>>, options: { networks?: boolean } = {}): Promise<Removed> {
  const filters = { label: labelFilters(labels) };
  const containers = await docker.listContainers({ all: true, filters });
  const removedContainers = await settle(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  if (options.networks === false) return { containers: removedContainers, networks: 0 };
  const networks = await docker.listNetworks({ filters });
  const removedNetworks = await settle(networks.map((n) => docker.getNetwork(n.Id).remove()));
  return { containers: removedContainers, networks: removedNetworks };
}

/**
 * Containers (and networks) carrying all of `labels`, on the engine testcontainers uses.
 * `sandbox down` and the next command use it for what a killed sandbox left, the docker runtime
 * for what a failed start created. Returns how many containers it removed.
 */
export async function removeSandboxContainers(labels: Readonly<Record<string, string>>, options: { networks?: boolean } = {}): Promise<number> {
  return (await removeSandboxResources(labels, options)).containers;
}

/** As removeSandboxContainers, counting networks too. */
export async function removeSandboxResources(labels: Readonly<Record<string, string>>, options: { networks?: boolean } = {}): Promise<Removed> {
  labelFilters(labels); // before any engine is asked
  return removeLabelled(await dockerClient(), labels, options);
}

/** How many removals happened; 404 (gone already) and 409 (removal in progress) count as done elsewhere. */
async function settle(removals: Promise<unknown>[]): Promise<number> {
  const results = await Promise.allSettled(removals);
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as { statusCode?: number }] : []));
  const real = failed.filter((e) => e?.statusCode !== 404 && e?.statusCode !== 409);
  if (real.length > 0) throw real[0];
  return results.filter((r) => r.status === 'fulfilled').length;
}
