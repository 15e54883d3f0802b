import type Docker from 'dockerode';
import type { Removed } from './remove.ts';

/**
 * How to reach the engine a sandbox used, as plain JSON for the reaper process: the connection
 * options testcontainers gave its dockerode client (a socket, or host and port with TLS
 * material). The reaper builds its own dockerode from them, without loading testcontainers.
 */
export interface EngineConnection {
  socketPath?: string;
  host?: string;
  port?: string | number;
  protocol?: 'http' | 'https' | 'ssh';
  ca?: string | string[];
  cert?: string;
  key?: string;
}

/** What the reaper removes when the host dies: containers and networks with all these labels. */
export interface DockerLeftovers {
  engine: EngineConnection;
  labels: Record<string, string>;
}

/** The connection options of a dockerode client (docker-modem keeps them as given). */
export function engineConnectionOf(docker: Docker): EngineConnection {
  const m = (docker as unknown as { modem: Record<string, unknown> }).modem;
  const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  const out: EngineConnection = {};
  if (typeof m.socketPath === 'string') out.socketPath = m.socketPath;
  if (typeof m.host === 'string') out.host = m.host;
  if (typeof m.port === 'string' || typeof m.port === 'number') out.port = m.port;
  if (m.protocol === 'http' || m.protocol === 'https' || m.protocol === 'ssh') out.protocol = m.protocol;
  if (Array.isArray(m.ca)) out.ca = m.ca.map((c) => text(c)!);
  else if (m.ca !== undefined) out.ca = text(m.ca)!;
  if (m.cert !== undefined) out.cert = text(m.cert)!;
  if (m.key !== undefined) out.key = text(m.key)!;
  return out;
}

/**
 * Removes the leftovers of a sandbox whose host died, twice: at once, and again after `settleMs`,
 * for a container whose create request was in flight when the host died. Each engine call has a
 * timeout, so an engine that does not answer cannot keep the reaper alive (the next command reaps).
 */
export async function removeLeftovers(spec: DockerLeftovers, options: { settleMs?: number; timeoutMs?: number } = {}): Promise<Removed> {
  const [{ default: Dockerode }, { removeLabelled }] = await Promise.all([import('dockerode'), import('./remove.ts')]);
  const docker = new Dockerode({ ...spec.engine, timeout: options.timeoutMs ?? 10_000 });
  const first = await removeLabelled(docker, spec.labels);
  await new Promise((r) => setTimeout(r, options.settleMs ?? 1500));
  const second = await removeLabelled(docker, spec.labels);
  return { containers: first.containers + second.containers, networks: first.networks + second.networks };
}
