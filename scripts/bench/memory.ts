import { stackComponents } from '../stack/catalog.ts';

/** The memory goals: the native sandbox's idle resident set (issue 15), and the docker stack's limits. */
export const NATIVE_IDLE_RSS_GOAL_MIB = 400;
export const DOCKER_LIMITS_GOAL_MIB = 2.5 * 1024;

/** The docker runtime's memory limits (the catalog's memoryMiB, what every container gets). */
export function dockerMemoryLimits(): { perComponent: { name: string; memoryMiB: number }[]; totalMiB: number } {
  const perComponent = stackComponents.map((c) => ({ name: c.name, memoryMiB: c.memoryMiB }));
  return { perComponent, totalMiB: perComponent.reduce((sum, c) => sum + c.memoryMiB, 0) };
}

export const goal = (value: number, limit: number, unit: string): string =>
  `goal < ${limit} ${unit}: ${value < limit ? 'met' : 'NOT met'}`;

/** The docker limits line of the report, e.g. `docker memory limits, summed ... 2048 MiB ... met`. */
export function dockerLimitsReport(): string {
  const { perComponent, totalMiB } = dockerMemoryLimits();
  const parts = perComponent.map((c) => `${c.name} ${c.memoryMiB}`).join(', ');
  return `docker memory limits, summed over the catalog          ${totalMiB} MiB   ${goal(totalMiB, DOCKER_LIMITS_GOAL_MIB, 'MiB (2.5 GiB)')}   (${parts})`;
}
