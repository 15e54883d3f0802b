import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { SandboxError } from '../../core/errors.ts';

/**
 * What kind of engine answered decides how containers reach the host's loopback
 * (docs/docker-runtime.md):
 * - linux: Docker Engine on this Linux machine, rootful: containers share the host's network
 *   namespace (host networking) and listen on 127.0.0.1, as natively.
 * - desktop: Docker Desktop (or another VM-backed engine on macOS/Windows): bridge networking,
 *   ports published on 127.0.0.1, the host's loopback reached as host.docker.internal.
 * - rootless, podman, remote: neither way reaches this machine's loopback; unsupported.
 */
export type EngineKind = 'linux' | 'desktop' | 'rootless' | 'podman' | 'remote';

export interface EngineProbe {
  available: boolean;
  /** One sentence: which engine answered and how it was found, or why none did. */
  reason: string;
  /** Where it answered: unix:///path or tcp://host:port. */
  endpoint?: string;
  kind?: EngineKind;
}

/** The part of `docker info` / `docker version` the classification reads. */
export interface EngineFacts {
  operatingSystem: string;
  serverVersion: string;
  securityOptions: readonly string[];
  /** `docker version` components' names (Podman answers "Podman Engine"). */
  components: readonly string[];
  endpoint: string;
  /** Host platform (process.platform). */
  platform: NodeJS.Platform;
}

/**
 * Places testcontainers' own lookup reads (TestcontainersHostStrategy, ConfigurationStrategy,
 * UnixSocketStrategy, RootlessUnixSocketStrategy, NpipeSocketStrategy, in 12.x). Used only to
 * avoid loading testcontainers at all where none of them exists (the native cold start).
 */
export function engineHints(env: NodeJS.ProcessEnv = process.env): string[] {
  const hints: string[] = [];
  if (env.DOCKER_HOST) hints.push(`DOCKER_HOST=${env.DOCKER_HOST}`);
  const props = join(homedir(), '.testcontainers.properties');
  if (existsSync(props)) hints.push(props);
  if (process.platform === 'win32') hints.push('npipe:////./pipe/docker_engine');
  const sockets = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    `/run/user/${userInfo().uid}/docker.sock`,
  ];
  for (const s of sockets) if (s && existsSync(s)) hints.push(s);
  return hints;
}

/**
 * Does a Docker engine answer? Asked of testcontainers' own client (getContainerRuntimeClient),
 * so `auto` finds exactly the engines testcontainers finds (DOCKER_HOST,
 * ~/.testcontainers.properties, the default and rootless sockets, Docker Desktop's) and the
 * runtime then uses that same client. Never hangs: the lookup has a deadline.
 */
export async function probeDockerEngine(timeoutMs = 5000, env: NodeJS.ProcessEnv = process.env): Promise<EngineProbe> {
  const hints = engineHints(env);
  if (hints.length === 0) {
    return { available: false, reason: 'none of the places testcontainers looks exists (DOCKER_HOST, ~/.testcontainers.properties, /var/run/docker.sock, the rootless and Docker Desktop sockets)' };
  }
  const found = await withDeadline(connect(), timeoutMs);
  if (found === 'timeout') return { available: false, reason: `no engine answered within ${timeoutMs} ms (looked at ${hints.join(', ')})` };
  if (found instanceof Error) return { available: false, reason: `${describeError(found)} (looked at ${hints.join(', ')})` };
  const kind = classifyEngine(found);
  const how = env.DOCKER_HOST ? 'DOCKER_HOST' : hints[0]!.endsWith('.testcontainers.properties') ? '~/.testcontainers.properties' : 'its default socket';
  return {
    available: true,
    endpoint: found.endpoint,
    kind,
    reason: `${describeEngine(found, kind)} at ${found.endpoint}, found by testcontainers through ${how}`,
  };
}

/** What `--runtime docker` calls first: fail fast, with exit code 3 and the way out. */
export async function requireDockerEngine(timeoutMs = 5000, env: NodeJS.ProcessEnv = process.env): Promise<EngineProbe & { kind: EngineKind }> {
  const probe = await probeDockerEngine(timeoutMs, env);
  if (!probe.available || !probe.kind) {
    throw new SandboxError('RUNTIME_UNAVAILABLE', `the docker runtime needs a Docker engine, and none answers: ${probe.reason}`, {
      hint: 'start Docker (or point DOCKER_HOST at an engine), or run the stack from local binaries with `--runtime native`',
    });
  }
  return probe as EngineProbe & { kind: EngineKind };
}

/** Which kind of engine, from what it says about itself (pure: unit-tested). */
export function classifyEngine(f: EngineFacts): EngineKind {
  if (f.components.some((c) => /podman/i.test(c))) return 'podman';
  if (/docker desktop/i.test(f.operatingSystem)) return 'desktop';
  if (f.securityOptions.some((o) => /rootless/.test(o))) return 'rootless';
  const local = f.endpoint.startsWith('unix://') || f.endpoint.startsWith('npipe://') || /^tcp:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(f.endpoint);
  if (!local) return 'remote';
  // An engine in a VM (Colima, OrbStack, Rancher Desktop on macOS, Windows): the VM's network
  // is not this machine's; they all map host.docker.internal (or host-gateway) to the host.
  return f.platform === 'linux' ? 'linux' : 'desktop';
}

function describeEngine(f: EngineFacts, kind: EngineKind): string {
  const what = { linux: 'Docker Engine', desktop: 'Docker Desktop', rootless: 'rootless Docker', podman: 'Podman', remote: 'a remote Docker engine' }[kind];
  return `${what} ${f.serverVersion} (${f.operatingSystem})`;
}

/**
 * The dockerode client testcontainers itself uses, for what testcontainers does not do
 * (removing a sandbox's containers by label). Throws when no engine answers.
 */
export async function dockerClient(): Promise<Docker> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  return (await getContainerRuntimeClient()).container.dockerode;
}

async function connect(): Promise<EngineFacts | Error> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const docker = client.container.dockerode;
    const [info, version] = await Promise.all([
      docker.info() as Promise<{ SecurityOptions?: string[] }>,
      docker.version().catch(() => ({ Components: [] as { Name: string }[] })),
    ]);
    const modem = (docker as unknown as { modem: { socketPath?: string; host?: string; port?: string | number; protocol?: string } }).modem;
    const endpoint = modem.socketPath ? `${process.platform === 'win32' ? 'npipe' : 'unix'}://${modem.socketPath}` : `tcp://${modem.host}:${String(modem.port ?? '')}`;
    return {
      operatingSystem: client.info.containerRuntime.operatingSystem ?? '',
      serverVersion: String(client.info.containerRuntime.serverVersion ?? ''),
      securityOptions: info.SecurityOptions ?? [],
      components: ((version as { Components?: { Name: string }[] }).Components ?? []).map((c) => c.Name),
      endpoint,
      platform: process.platform,
    };
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function describeError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'nothing listens on the engine socket (is the Docker daemon running?)';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied on the engine socket (add your user to the docker group)';
  if (/Could not find a working container runtime strategy/.test(e.message)) return 'testcontainers found no working engine';
  return e.message;
}

function withDeadline<T>(p: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
    void p.then((r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}
