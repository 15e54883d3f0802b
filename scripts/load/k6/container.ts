import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GenericContainer, getContainerRuntimeClient, ImageName, Wait, type StartedTestContainer } from 'testcontainers';
import type { NetworkMode } from '../../runtime/docker/container-plan.ts';
import { isSandboxError, SandboxError } from '../../core/errors.ts';
import { LineTail } from '../../runtime/docker/log-tail.ts';
import { removeSandboxContainers } from '../../runtime/docker/remove.ts';
import type { LoadProfile, LoadSummary } from '../driver.ts';
import { buildK6ContainerPlan, containerTargetUrl, firstFileInTar, K6_RUN_LABEL, k6ContainerError, type K6ContainerPlan } from './container-plan.ts';
import { emptyK6Summary, parseK6Summary } from './summary.ts';

export interface K6ContainerRunOptions {
  signal?: AbortSignal;
  /** The sandbox session's labels; the container gets them, the k6 component label and a run label. */
  labels: Readonly<Record<string, string>>;
  payloadPoolSize?: number;
  title?: string;
}

/**
 * Before a scenario's clock starts (LoadDriver.prepare): pull the k6 image if the engine lacks it,
 * so that a first pull does not delay the load against the fault schedule.
 */
export async function prepareK6Container(image: string): Promise<void> {
  try {
    const client = await getContainerRuntimeClient();
    await client.image.pull(ImageName.fromString(image));
    await networkMode();
  } catch (e) {
    if (isSandboxError(e)) throw e;
    throw k6ContainerError({ image, targetUrl: '' }, { kind: 'start', message: (e as Error).message }, []);
  }
}

/**
 * The docker runtime's network mode on this engine, decided as the sandbox decided it
 * (select-runtime.ts), so the k6 container reaches the api-gateway the way Prometheus does.
 */
async function networkMode(): Promise<NetworkMode> {
  const { requireDockerEngine } = await import('../../runtime/docker/engine.ts');
  const { networkModeFor } = await import('../../runtime/select-runtime.ts');
  const mode = networkModeFor((await requireDockerEngine()).kind);
  if (typeof mode !== 'string') throw mode;
  return mode;
}

/** The plan as a testcontainers definition (unit tests read its fields). */
export function k6Container(plan: K6ContainerPlan, onLogs?: (stream: Readable) => unknown): GenericContainer {
  const c = new GenericContainer(plan.image)
    .withCommand(plan.command)
    // Where the api-gateway is: the host's loopback itself, or host.docker.internal on a bridge.
    .withNetworkMode(plan.network === 'host' ? 'host' : 'bridge')
    .withExtraHosts(plan.network === 'bridge' ? [{ host: 'host.docker.internal', ipAddress: 'host-gateway' }] : [])
    .withEnvironment(plan.env)
    .withLabels(plan.labels)
    .withCopyContentToContainer([plan.script])
    // No exposed ports: the listening-ports strategy returns as soon as the container runs.
    .withWaitStrategy(Wait.forListeningPorts());
  if (onLogs) c.withLogConsumer(onLogs);
  return c;
}

/**
 * Run the profile with k6 in the pinned k6 image, for the docker runtime where no k6 binary is on
 * PATH; summarised as the binary path and the builtin driver do. The target stays the loopback
 * api-gateway, reached the way the docker runtime's Prometheus reaches it: with host networking at
 * its loopback URL itself, on Docker Desktop's bridge at host.docker.internal:<same port>.
 *
 * The summary comes back as a file: k6 writes `--summary-export` inside the container, and once
 * the container has stopped its archive is copied out through the engine's API (testcontainers'
 * copyArchiveFromContainer, a tar stream of the one file). That works with any engine, local or
 * remote, needs no bind mount (whose host directory the image's user could not write to) and
 * reads the same export, with the same parser, as the binary path. The alternative, a
 * handleSummary() printing JSON between markers on stdout, would depend on the engine's log driver
 * keeping (and not splitting) a long line, and would give a different data shape.
 *
 * Abort (signal) and the deadline stop the container with SIGTERM (k6 ends the run and still
 * writes its summary; Docker kills it after a grace period). The container is always removed.
 */
export async function runK6InContainer(profile: LoadProfile, options: K6ContainerRunOptions): Promise<LoadSummary> {
  const runId = randomBytes(6).toString('hex');
  const plan = buildK6ContainerPlan(profile, {
    labels: options.labels,
    runId,
    network: await networkMode(),
    ...(options.payloadPoolSize !== undefined ? { payloadPoolSize: options.payloadPoolSize } : {}),
    ...(options.title !== undefined ? { title: options.title } : {}),
  });
  const tail = new LineTail(20);
  let started: StartedTestContainer | undefined;
  try {
    try {
      if (options.signal?.aborted) return emptyK6Summary();
      started = await k6Container(plan, (s) => s.on('error', () => undefined).on('data', (chunk: string | Buffer) => tail.push(String(chunk)))).start();
    } catch (e) {
      throw k6ContainerError(plan, { kind: 'start', message: (e as Error).message }, tail.lines());
    }
    const { exitCode, aborted } = await waitForExit(started, plan, options.signal);
    const summary = await readSummary(started, plan.summaryPath).catch((e: unknown) => {
      throw k6ContainerError(plan, { kind: 'summary', message: (e as Error).message }, tail.lines());
    });
    if (summary !== null) {
      try {
        return parseK6Summary(JSON.parse(summary));
      } catch (e) {
        throw k6ContainerError(plan, { kind: 'summary', message: (e as Error).message }, tail.lines());
      }
    }
    if (aborted) return emptyK6Summary();
    throw k6ContainerError(plan, { kind: 'exit', exitCode }, tail.lines());
  } catch (e) {
    throw isSandboxError(e) ? e : new SandboxError('COMPONENT_DIED', `the k6 load container failed: ${(e as Error).message}`, { cause: e, details: tail.lines() });
  } finally {
    // Stopped already (or never started): remove it and its anonymous volumes. A container that
    // was created but failed to start is found by its run label.
    if (started) await started.stop({ remove: true, removeVolumes: true, timeout: 0 }).catch(() => undefined);
    else await removeSandboxContainers({ [K6_RUN_LABEL]: runId }).catch(() => 0);
  }
}

/** Until the container exits on its own, or is stopped on abort or at the deadline. */
async function waitForExit(started: StartedTestContainer, plan: K6ContainerPlan, signal: AbortSignal | undefined): Promise<{ exitCode: number; aborted: boolean }> {
  const client = await getContainerRuntimeClient();
  const container = client.container.getById(started.getId());
  let aborted = false;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= client.container.stop(container, { timeout: plan.stopTimeoutMs }).catch(() => undefined);
  };
  const onAbort = () => {
    aborted = true;
    stop();
  };
  const deadline = setTimeout(stop, plan.deadlineMs);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // POST /containers/{id}/wait: answers when the container is no longer running.
    const result = (await container.wait()) as { StatusCode?: number };
    await stopping;
    return { exitCode: result.StatusCode ?? -1, aborted };
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The summary file's text, or null when k6 wrote none. */
async function readSummary(started: StartedTestContainer, path: string): Promise<string | null> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await started.copyArchiveFromContainer(path);
  } catch (e) {
    // The engine answers 404 for a path that does not exist.
    if ((e as { statusCode?: number }).statusCode === 404) return null;
    throw e;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of archive) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > 64 * 1024 * 1024) throw new Error('the summary archive is over 64 MiB');
    chunks.push(b);
  }
  const file = firstFileInTar(Buffer.concat(chunks));
  return file === null ? null : file.toString('utf8');
}

