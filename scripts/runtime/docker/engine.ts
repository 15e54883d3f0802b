import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { SandboxError } from '../../core/errors.ts';

export interface EngineProbe {
  available: boolean;
  /** One sentence: where an engine answered, or why none did (per place looked). */
  reason: string;
  /** The endpoint that answered, as a DOCKER_HOST-style URI. */
  endpoint?: string;
}

/**
 * Where to look, in testcontainers' order (DOCKER_HOST, then /var/run/docker.sock, then the
 * rootless and Docker Desktop sockets), so that `--runtime auto` picks docker exactly where
 * testcontainers would find an engine. ~/.testcontainers.properties is not read.
 */
export function engineCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.DOCKER_HOST) return [env.DOCKER_HOST];
  const uid = userInfo().uid;
  const sockets = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    `/run/user/${uid}/docker.sock`,
  ];
  return [...new Set(sockets.filter((s): s is string => s !== undefined))].map((s) => `unix://${s}`);
}

/**
 * Does a Docker engine answer? Never hangs: every attempt shares one deadline, and the answer
 * explains itself (no socket, permission, nothing listening, no answer in time) because
 * `--runtime auto` logs it and `--runtime docker` fails with it.
 */
export async function probeDockerEngine(timeoutMs = 1500, env: NodeJS.ProcessEnv = process.env): Promise<EngineProbe> {
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  for (const endpoint of engineCandidates(env)) {
    const left = deadline - Date.now();
    if (left <= 0) {
      failures.push(`${endpoint} not tried: the ${timeoutMs} ms probe budget ran out`);
      continue;
    }
    const failure = await pingEndpoint(endpoint, left, env);
    if (failure === null) return { available: true, reason: `${endpoint} answered /_ping`, endpoint };
    failures.push(failure);
  }
  return { available: false, reason: failures.join('; ') };
}

/** What `--runtime docker` calls first: fail fast, with exit code 3 and the way out. */
export async function requireDockerEngine(timeoutMs = 1500, env: NodeJS.ProcessEnv = process.env): Promise<EngineProbe> {
  const probe = await probeDockerEngine(timeoutMs, env);
  if (!probe.available) {
    throw new SandboxError('RUNTIME_UNAVAILABLE', `the docker runtime needs a Docker engine, and none answers: ${probe.reason}`, {
      hint: 'start Docker (or point DOCKER_HOST at an engine), or run the stack from local binaries with `--runtime native`',
    });
  }
  return probe;
}

/**
 * A dockerode client for the first candidate that exists, for work testcontainers does not do
 * (removing a detached sandbox's containers by label).
 */
export async function dockerClient(env: NodeJS.ProcessEnv = process.env): Promise<Docker> {
  for (const endpoint of engineCandidates(env)) {
    if (!endpoint.startsWith('unix://')) return remoteClient(endpoint, 30_000, env);
    const socketPath = endpoint.slice('unix://'.length);
    if (await exists(socketPath)) return new Docker({ socketPath });
  }
  return new Docker();
}

/**
 * tcp://, ssh://, npipe://. dockerode's modem reads TLS material (DOCKER_CERT_PATH) and the ssh
 * agent from process.env; host, port and protocol come from `env` so that tests can aim it.
 */
function remoteClient(endpoint: string, timeoutMs: number, env: NodeJS.ProcessEnv): Docker {
  if (endpoint.startsWith('npipe://')) return new Docker({ socketPath: endpoint.slice('npipe://'.length) || '//./pipe/docker_engine', timeout: timeoutMs });
  const url = new URL(endpoint.includes('//') ? endpoint : `tcp://${endpoint}`);
  const protocol = url.protocol === 'ssh:' ? 'ssh' : env.DOCKER_TLS_VERIFY === '1' || url.port === '2376' ? 'https' : 'http';
  return new Docker({ host: url.hostname, port: url.port || (protocol === 'https' ? 2376 : 2375), protocol, timeout: timeoutMs });
}

/** null when the engine answered /_ping, otherwise why not. */
async function pingEndpoint(endpoint: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (endpoint.startsWith('unix://')) return pingUnixSocket(endpoint.slice('unix://'.length), timeoutMs);
  const docker = remoteClient(endpoint, timeoutMs, env);
  const failure = await withDeadline(
    docker.ping().then(
      () => null,
      (e: unknown) => describeError(e),
    ),
    timeoutMs,
  );
  return failure === null ? null : `${endpoint}: ${failure}`;
}

async function pingUnixSocket(socketPath: string, timeoutMs: number): Promise<string | null> {
  try {
    const s = await stat(socketPath);
    if (!s.isSocket()) return `${socketPath} exists but is not a socket`;
  } catch {
    return `no socket at ${socketPath}`;
  }
  try {
    await access(socketPath, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    return `permission denied on ${socketPath} (add your user to the docker group, or use rootless Docker)`;
  }
  const failure = await withDeadline(
    new Promise<string | null>((resolve) => {
      const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? null : `answered /_ping with HTTP ${res.statusCode}: not a Docker engine?`);
      });
      req.on('timeout', () => {
        req.destroy();
        resolve(`no answer within ${timeoutMs} ms`);
      });
      req.on('error', (e) => resolve(describeError(e)));
      req.end();
    }),
    timeoutMs,
  );
  return failure === null ? null : `${socketPath}: ${failure}`;
}

function describeError(e: unknown): string {
  const status = (e as { statusCode?: number }).statusCode;
  if (status !== undefined) return `answered /_ping with HTTP ${status}: not a Docker engine?`;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'nothing listens (is the Docker daemon running?)';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (add your user to the docker group, or use rootless Docker)';
  if (code === 'ENOENT') return 'no such socket';
  return (e as Error).message ?? String(e);
}

/** A hard stop on top of the request's own timeout: a probe must never hang `--runtime auto`. */
function withDeadline(p: Promise<string | null>, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    void p.then((r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
