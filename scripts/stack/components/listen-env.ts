import type { LaunchContext } from '../types.ts';

/**
 * What Loki's and Tempo's config files read through -config.expand-env: the listen address,
 * data directory and every named port (SANDBOX_PORT_<NAME>, upper case, dashes as
 * underscores), as the runtime sees them.
 */
export function listenEnv(ctx: LaunchContext, ports: Readonly<Record<string, number>>): Record<string, string> {
  const out: Record<string, string> = { SANDBOX_LISTEN_HOST: ctx.listenHost, SANDBOX_DATA_DIR: ctx.dataDir };
  for (const name of Object.keys(ports)) out[portVariable(name)] = String(ctx.port(name));
  return out;
}

export function portVariable(port: string): string {
  return `SANDBOX_PORT_${port.toUpperCase().replaceAll('-', '_')}`;
}
