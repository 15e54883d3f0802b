import type { DockerLeftovers } from '../docker/leftovers.ts';

/**
 * What the host tells its reaper over the stdin pipe, one instruction a line:
 * - `docker {json}`: if the host dies, also remove the containers and networks with these labels,
 *   on this engine (sent by the docker runtime before it creates anything);
 * - `release`: the host stopped everything itself; the reaper has nothing to do.
 * Type-only imports: the reaper loads this at start, and its start stays light.
 */
export interface ReaperInput {
  released: boolean;
  /** The last valid `docker` line. */
  docker: DockerLeftovers | null;
}

export const RELEASE_LINE = 'release\n';

export function leftoversLine(spec: DockerLeftovers): string {
  return `docker ${JSON.stringify(spec)}\n`;
}

/** Only complete lines count: a line cut off by the host's death is ignored. */
export function readReaperInput(text: string): ReaperInput {
  const lines = text.split('\n').slice(0, -1);
  let docker: DockerLeftovers | null = null;
  for (const line of lines) docker = parseLeftoversLine(line) ?? docker;
  return { released: lines.includes('release'), docker };
}

function parseLeftoversLine(line: string): DockerLeftovers | null {
  if (!line.startsWith('docker ')) return null;
  try {
    const spec = JSON.parse(line.slice('docker '.length)) as Partial<DockerLeftovers> | null;
    const labels = spec?.labels;
    // No labels would match everything on the engine: such a line is ignored, never guessed at.
    if (!spec?.engine || typeof spec.engine !== 'object' || typeof labels !== 'object' || labels === null || Object.keys(labels).length === 0) return null;
    if (!Object.values(labels).every((v) => typeof v === 'string')) return null;
    return spec as DockerLeftovers;
  } catch {
    return null;
  }
}
