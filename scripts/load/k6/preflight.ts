import { SandboxError } from '../../core/errors.ts';
import type { Scenario } from '../../scenario/model.ts';
import { findK6, K6_INSTALL_URL } from './binary.ts';
import { K6_IMAGE_ENV, k6Image } from './image.ts';
import { chooseK6Way } from './way.ts';

/** The runtime the scenarios will run on; `auto` is decided here as `selectRuntime` decides it. */
export type K6Runtime = 'auto' | 'native' | 'docker' | 'attached';

export interface K6PreflightDeps {
  findBinary?: () => string | null;
  /** auto: whether the docker runtime will be chosen, and if not why (select-runtime.ts). */
  autoPicksDocker?: () => Promise<{ docker: boolean; reason: string }>;
  /** The k6 image is on the engine afterwards (pulled if missing), or this throws the engine's words. null: no engine answers. */
  ensureK6Image?: (image: string) => Promise<void | null>;
}

/**
 * Scenarios whose load runs on k6 are checked before anything starts: a k6 binary on PATH, or,
 * on the docker runtime, the grafana/k6 image on the engine (pulled now, which the scenario's
 * clock would otherwise wait for). When neither can be had, the run is refused naming every such
 * file (and its `engine:` line) and the exact ways out, instead of each one ending `errored` after the sandbox
 * started. Refused, not skipped: the scenario asked for k6 itself, and a CI suite that goes green
 * without the load it specified would hide the problem (a skipped optional backend is a
 * different thing: the stack it lacks is optional; the load is the test).
 */
export async function refuseUnrunnableK6(scenarios: readonly Scenario[], runtime: K6Runtime, deps: K6PreflightDeps = {}): Promise<void> {
  const k6 = scenarios.filter((s) => s.load.engine === 'k6' && s.load.rate > 0);
  if (k6.length === 0) return;
  const binary = (deps.findBinary ?? findK6)();
  let effective: string = runtime;
  let why = '';
  if (runtime === 'auto' && !binary) {
    const auto = await (deps.autoPicksDocker ?? autoPicksDocker)();
    effective = auto.docker ? 'docker' : 'native';
    if (!auto.docker) why = `\`--runtime auto\` runs native here: ${auto.reason}`;
  }
  const way = chooseK6Way({ binary, runtime: effective });
  if (way.kind === 'binary') return;
  if (way.kind === 'missing') {
    throw new SandboxError('BINARY_MISSING', `${files(k6)}: load.engine is k6, but the k6 binary was not found on PATH (runtime ${effective})`, {
      details: [...locations(k6), ...(why ? [why] : [])],
      hint:
        `install k6 (${K6_INSTALL_URL}); ` +
        // Attached, the runtime flag has no say: k6 can only be the binary.
        (effective === 'attached' ? '' : `or run on the docker runtime (\`--runtime docker\`), where k6 runs in the ${k6Image()} image; `) +
        `or set \`engine: builtin\` under \`load\` in ${files(k6)}`,
    });
  }
  try {
    await (deps.ensureK6Image ?? ensureK6Image)(way.image);
  } catch (e) {
    const { imageTrouble } = await import('../../runtime/docker/pull-problem.ts');
    const trouble = imageTrouble(way.image, (e as Error).message, K6_IMAGE_ENV, undefined);
    throw new SandboxError('IMAGE_UNAVAILABLE', `${files(k6)}: load.engine is k6, but the k6 binary was not found on PATH and ${trouble.reason}`, {
      details: locations(k6),
      hint: `install k6 (${K6_INSTALL_URL}), which runs it from this machine; or ${trouble.hint}; or set \`engine: builtin\` under \`load\` in ${files(k6)}`,
    });
  }
}

function locations(k6: readonly Scenario[]): string[] {
  return k6.map((s) => s.locations?.engine ?? s.file);
}

function files(k6: readonly Scenario[]): string {
  return [...new Set(k6.map((s) => s.file))].join(', ');
}

/** As selectRuntime's auto: an engine answers whose containers reach this machine's loopback. */
async function autoPicksDocker(): Promise<{ docker: boolean; reason: string }> {
  const { probeDockerEngine } = await import('../../runtime/docker/engine.ts');
  const { networkModeFor } = await import('../../runtime/select-runtime.ts');
  const probe = await probeDockerEngine();
  if (!probe.available || !probe.kind) return { docker: false, reason: `no Docker engine (${probe.reason})` };
  const mode = networkModeFor(probe.kind);
  return typeof mode === 'string' ? { docker: true, reason: probe.reason } : { docker: false, reason: mode.message };
}

/** Pulls the image where the engine lacks it; null when no engine answers (the sandbox's start says so). */
async function ensureK6Image(image: string): Promise<void | null> {
  const [{ getContainerRuntimeClient }, { ensureImage }] = await Promise.all([import('testcontainers'), import('../../runtime/docker/pull.ts')]);
  const client = await getContainerRuntimeClient().catch(() => null);
  if (!client) return null;
  await ensureImage(client, image);
}
