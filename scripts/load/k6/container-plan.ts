import { SandboxError } from '../../core/errors.ts';
import { COMPONENT_LABEL, type NetworkMode } from '../../runtime/docker/container-plan.ts';
import { assertLoopback, type LoadProfile } from '../driver.ts';
import { imageTrouble, pullProblem } from '../../runtime/docker/pull-problem.ts';
import { K6_INSTALL_URL } from './binary.ts';
import { K6_IMAGE_ENV, k6Image } from './image.ts';
import { k6DeadlineMs } from './options.ts';
import { CONTAINER_HOST_ALIAS, generateK6Script } from './script.ts';

/**
 * The pure half of running k6 in a container (container.ts does the engine calls): what the
 * container is, as plain data that unit tests check, and how its results are read back.
 */

/** host.docker.internal: where a bridge-networked container reaches this machine's loopback (script.ts). */
export { CONTAINER_HOST_ALIAS };

/** The catalog-style component label value of a k6 container. */
export const K6_COMPONENT = 'k6';
/** One run's container: the label a failed start is still found (and removed) by. */
export const K6_RUN_LABEL = 'org.observability-sandbox.k6-run';

/**
 * In /tmp, which the image has and anyone may write to (sticky, 1777): the script is copied in as
 * root-owned 0644, and k6 (the image runs it as user k6, uid 12345) must be able to create the
 * summary next to it, whatever user an image built on it runs as.
 */
export const K6_CONTAINER_SCRIPT = '/tmp/sandbox-load.js';
export const K6_CONTAINER_SUMMARY = '/tmp/sandbox-summary.json';

/** docker stop's grace period: k6 ends the run on SIGTERM and writes its summary; then SIGKILL. */
export const K6_STOP_TIMEOUT_MS = 5_000;

/**
 * The host URL as a container sees it, following the docker runtime's network mode: itself with
 * host networking; the same port (and path) at host.docker.internal on a bridge. The host URL
 * must be loopback (the sandbox sends load nowhere else).
 */
export function containerTargetUrl(hostUrl: string, network: NetworkMode = 'bridge'): { url: string; hostPort: number } {
  assertLoopback(hostUrl);
  const u = new URL(hostUrl);
  const hostPort = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  if (network === 'bridge') u.hostname = CONTAINER_HOST_ALIAS;
  return { url: u.href.replace(/\/+$/, ''), hostPort };
}

export interface K6ContainerPlan {
  /** `grafana/k6:<pinned tag>`, or SANDBOX_K6_IMAGE (image.ts). */
  image: string;
  /** Arguments to the image's entrypoint, which is k6 itself: `run ...`, not `k6 run ...`. */
  command: string[];
  /**
   * The generated script, copied into the container before it starts: unlike a bind mount this
   * works with a remote engine too.
   */
  script: { content: string; target: string; mode: number };
  /** Where k6 writes its `--summary-export`; copied out of the stopped container. */
  summaryPath: string;
  /** Only this: nothing of the host's K6_* settings (outputs, cloud) reaches the container. */
  env: Record<string, string>;
  labels: Record<string, string>;
  /** The host port the container sends to. */
  hostPort: number;
  /** The docker runtime's network mode: host networking, or a bridge with host.docker.internal. */
  network: NetworkMode;
  /** The URL the script sends to. */
  targetUrl: string;
  /**
   * `running`: started is enough (k6 listens on nothing to wait for; testcontainers' listening-
   * ports strategy with no exposed port returns at once). The run's end is awaited apart, so that
   * an abort can stop it.
   */
  wait: 'running';
  /** From the container's start: schedule + graceful stop + start-up and summary time, as the binary's. */
  deadlineMs: number;
  stopTimeoutMs: number;
}

export interface K6ContainerPlanOptions {
  /** The sandbox session's labels (session, state dir): `down` and the docker runtime's stop remove by them. */
  labels: Readonly<Record<string, string>>;
  /** Unique per run (K6_RUN_LABEL). */
  runId: string;
  /** Default: bridge. */
  network?: NetworkMode;
  payloadPoolSize?: number;
  title?: string;
}

export function buildK6ContainerPlan(profile: LoadProfile, options: K6ContainerPlanOptions): K6ContainerPlan {
  const network = options.network ?? 'bridge';
  const target = containerTargetUrl(profile.baseUrl, network);
  const content = generateK6Script({
    ...profile,
    ...(network === 'bridge' ? { sendTo: target.url } : {}),
    maxVUs: profile.maxInFlight ?? 256,
    ...(options.payloadPoolSize !== undefined ? { payloadPoolSize: options.payloadPoolSize } : {}),
    ...(options.title !== undefined ? { title: options.title } : {}),
  });
  return {
    image: k6Image(),
    // The binary path's arguments (runner.ts), with paths inside the container.
    command: ['run', '--quiet', '--no-usage-report', '--summary-export', K6_CONTAINER_SUMMARY, K6_CONTAINER_SCRIPT],
    script: { content, target: K6_CONTAINER_SCRIPT, mode: 0o644 },
    summaryPath: K6_CONTAINER_SUMMARY,
    env: { K6_NO_USAGE_REPORT: 'true' },
    labels: { ...options.labels, [COMPONENT_LABEL]: K6_COMPONENT, [K6_RUN_LABEL]: options.runId },
    hostPort: target.hostPort,
    network,
    targetUrl: target.url,
    wait: 'running',
    deadlineMs: k6DeadlineMs(profile.durationSeconds),
    stopTimeoutMs: K6_STOP_TIMEOUT_MS,
  };
}

export type K6ContainerFailure =
  | { kind: 'start'; message: string }
  | { kind: 'exit'; exitCode: number }
  | { kind: 'summary'; message: string };

/** A failed k6 container as the sandbox reports it: what happened, k6's last lines, the way on. */
export function k6ContainerError(plan: Pick<K6ContainerPlan, 'image' | 'targetUrl'>, failure: K6ContainerFailure, tail: readonly string[]): SandboxError {
  const details = tail.map((l) => `k6 | ${l}`);
  const local = `or install k6 (${K6_INSTALL_URL}) to run the load from this machine`;
  if (failure.kind === 'start') {
    if (pullProblem(failure.message) !== 'other' || /pull|no such image/i.test(failure.message)) {
      const t = imageTrouble(plan.image, failure.message, K6_IMAGE_ENV, undefined);
      return new SandboxError('IMAGE_UNAVAILABLE', `the k6 load container: ${t.reason}`, { details, hint: `${t.hint}; ${local}; or use \`engine: builtin\`` });
    }
    return new SandboxError('COMPONENT_DIED', `the k6 load container (${plan.image}) did not start: ${failure.message}`, {
      details,
      hint: `check \`docker info\` and the engine's logs; ${local}`,
    });
  }
  if (failure.kind === 'summary') {
    return new SandboxError('COMPONENT_DIED', `the k6 load container (${plan.image}) wrote an unreadable summary export: ${failure.message}`, { details });
  }
  return new SandboxError('COMPONENT_DIED', `the k6 load container (${plan.image}) exited with code ${failure.exitCode} without writing its summary`, {
    details,
    hint:
      `k6's last lines are above (${exitMeaning(failure.exitCode)}); it sent to ${plan.targetUrl}, the api-gateway on this ` +
      `machine's loopback. Use \`engine: builtin\`, ${local}`,
  });
}

/** k6's exit codes (errext/exitcodes in grafana/k6) that a load run can end with. */
function exitMeaning(code: number): string {
  const known: Record<number, string> = {
    104: 'invalid configuration',
    105: 'aborted by a signal',
    107: 'the script threw an exception',
    108: 'the script aborted the test',
    109: 'k6 crashed',
    137: 'killed: out of memory, or stopped by force',
  };
  return known[code] ?? 'see k6 exit codes';
}

/**
 * The first regular file in a tar archive: what the engine's archive API (testcontainers'
 * copyArchiveFromContainer) returns for one file. The format is 512-byte headers, each followed
 * by its data padded to 512 bytes; Docker writes USTAR, with PAX (`x`, `g`) or GNU long-name
 * (`L`, `K`) records before an entry where it needs them, which are skipped here. A reader this
 * small does for one small JSON file; the tar parsers in node_modules (tar-stream 2 and 3) are
 * only transitive dependencies of dockerode and testcontainers. null: the archive has no file.
 */
export function firstFileInTar(tar: Uint8Array): Buffer | null {
  const buf = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength);
  for (let off = 0; off + 512 <= buf.length; ) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) return null; // end-of-archive marker
    if (!checksumOk(header)) throw new Error('not a tar archive (bad header checksum)');
    const size = octal(header.subarray(124, 136), 'size');
    const type = header[156] === 0 ? '0' : String.fromCharCode(header[156]!);
    const start = off + 512;
    if (type === '0' || type === '7') {
      if (start + size > buf.length) throw new Error('tar archive is truncated');
      return buf.subarray(start, start + size);
    }
    off = start + Math.ceil(size / 512) * 512;
  }
  return null;
}

function octal(field: Buffer, name: string): number {
  if ((field[0]! & 0x80) !== 0) throw new Error(`tar ${name} in base-256 (over 8 GiB) is not supported`);
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`tar ${name} field is not octal`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** The header's checksum: the sum of its bytes with the checksum field itself read as spaces. */
function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return octal(header.subarray(148, 156), 'checksum') === sum;
}
