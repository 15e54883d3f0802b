import { join } from 'node:path';
import { SandboxError } from '../core/errors.ts';
import type { AttachTarget } from '../runtime/attached/attached-runtime.ts';
import { attachTargetsDir } from '../runtime/attached/targets.ts';
import { connectionFrom } from '../runtime/connection.ts';
import { inspectState, startSandbox, type Sandbox } from '../runtime/session.ts';
import type { RuntimeChoice } from '../runtime/select-runtime.ts';
import type { StateLock } from '../runtime/state-lock.ts';
import { stateLayout } from '../runtime/state.ts';
import { waitForScrapedTargets } from '../scenario/attached/scrapes.ts';
import { nextUsableOffset, portPlan } from '../stack/catalog.ts';
import { takeRunLock } from './run-lock.ts';
import { SandboxPool } from './sandbox-pool.ts';

/** Parallel shards' port offsets are this far apart, or a multiple of it. */
export const SHARD_PORT_STEP = 50;

/**
 * The port offsets of `shards` sandboxes side by side, the first at `base`: each further one the
 * next step whose ports are all usable (none on a fetch "bad port") and none another shard's.
 * (Grafana, Loki and Tempo sit 100 apart, so a shard two steps up would take its first's.)
 */
export function shardOffsets(base: number, shards: number): number[] {
  const offsets = [base];
  const taken = new Set(portPlan(base).all().map((p) => p.port));
  let next = base;
  while (offsets.length < shards) {
    next = nextUsableOffset(next + SHARD_PORT_STEP, SHARD_PORT_STEP);
    const ports = portPlan(next).all().map((p) => p.port);
    if (ports.some((p) => taken.has(p))) continue;
    for (const p of ports) taken.add(p);
    offsets.push(next);
  }
  return offsets;
}

/** Where a suite runs: the sandboxes to start, or the running one to use. */
export interface SandboxesOptions {
  /** The state dir; shards beyond the first live under its shards/<n>. */
  stateDir: string;
  portOffset?: number;
  runtime?: RuntimeChoice;
  /** Optional components left out (`--without`). */
  without?: ReadonlySet<string>;
  /** false: the remediation controller records what it would do and acts on nothing. */
  remediation?: boolean;
  /** How many sandboxes to start side by side (default 1); at most one per scenario. */
  sandboxes?: number;
  /** Use the sandbox already running from the state dir, if there is one (`sandbox run`). */
  useRunning?: boolean;
  /** Judge a Prometheus and Alertmanager the team runs instead of starting the sandbox's own. */
  attach?: AttachTarget;
  /** Start-up lines (which runtime, what was reaped). */
  log?: (line: string) => void;
  /** Warnings, whole lines (a target the team's Prometheus scrapes under another job). */
  warn?: (line: string) => void;
  /**
   * Called with where the scenarios will run (`attached`, the running sandbox's runtime, or the
   * runtime asked for) before anything starts: a check that refuses throws.
   */
  check?: (runtime: string) => Promise<void> | void;
}

/**
 * The sandboxes a suite runs on: the running one (when asked to use it), or new ones (shard 0
 * on the given state dir and port offset, further shards on their own), torn down when the pool
 * closes. A running sandbox where new ones are wanted is refused (SANDBOX_ALREADY_RUNNING). The
 * pool holds each sandbox's run lock until it closes: one scenario run per sandbox, so a
 * `sandbox run` from elsewhere meanwhile is refused, naming this one.
 */
export async function openSandboxes(options: SandboxesOptions): Promise<SandboxPool> {
  const log = options.log ?? (() => undefined);
  const layout = stateLayout(options.stateDir);
  // Only a look: reaping what a killed sandbox left is the starting sandbox's job, under the
  // state dir's lock (a reap from here could meet an `up` that is starting right now).
  const state = inspectState(layout);
  const using = state.liveOwner && options.useRunning && !options.attach ? state.running : null;
  await options.check?.(options.attach ? 'attached' : (using?.runtime ?? options.runtime ?? 'auto'));
  if (state.liveOwner && options.useRunning && !options.attach) {
    if (!using) {
      throw new SandboxError('SANDBOX_ALREADY_RUNNING', `the sandbox in ${layout.root} (pid ${state.liveOwner.pid}) ${state.session.kind === 'damaged' ? `cannot be used: ${state.session.reason}` : 'is still starting'}`, {
        hint: state.session.kind === 'damaged' ? '`npx sandbox down` stops it and cleans up' : 'wait until `npx sandbox status` shows it running',
      });
    }
    const lock = takeRunLock(layout);
    log(`using the running sandbox (session ${using.session})`);
    return new SandboxPool([connectionFrom(using, layout)], [], () => lock.release());
  }
  if (state.liveOwner) {
    throw new SandboxError('SANDBOX_ALREADY_RUNNING', `a sandbox is already running from ${layout.root} (pid ${state.liveOwner.pid})`, {
      hint: 'this command starts and tears down its own: stop the running one (`npx sandbox down`), use `npx sandbox run`, or give this one its own --state-dir and --port-offset',
    });
  }
  const shards = options.attach ? 1 : Math.max(1, options.sandboxes ?? 1);
  const offsets = shardOffsets(options.portOffset ?? 0, shards);
  const start = (i: number) =>
    startSandbox({
      ...(options.runtime ? { runtime: options.runtime } : {}),
      ...(options.without ? { without: options.without } : {}),
      stateDir: i === 0 ? layout.root : join(layout.root, 'shards', String(i)),
      portOffset: offsets[i]!,
      remediation: options.remediation ?? true,
      log: i === 0 ? log : () => undefined,
      ...(options.attach ? { attach: options.attach } : {}),
    });
  // Shard 0 first: its start reaps what killed runs left under shards/, which must not meet
  // shards that are starting right now.
  const owned: Sandbox[] = [await start(0)];
  const started = await Promise.allSettled(Array.from({ length: shards - 1 }, (_, i) => start(i + 1)));
  for (const r of started) if (r.status === 'fulfilled') owned.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(owned.map((s) => s.stop()));
    throw failed.reason;
  }
  // Its own sandboxes are its alone: a `sandbox run` from elsewhere is refused.
  const locks: StateLock[] = [];
  try {
    for (const o of owned) locks.push(takeRunLock(o.layout));
  } catch (e) {
    for (const l of locks) l.release();
    await Promise.all(owned.map((s) => s.stop()));
    throw e;
  }
  const pool = SandboxPool.ofStarted(owned, () => {
    for (const l of locks) l.release();
  });
  if (options.attach) {
    try {
      // Before any fault: the team's Prometheus scrapes every target the sandbox lists.
      await waitForScrapedTargets(options.attach.prometheusUrl, owned[0]!.layout.root, { warn: options.warn ?? log });
    } catch (e) {
      await pool.close();
      throw e;
    }
    log(`attached: ${options.attach.prometheusUrl} scrapes the sandbox's services (targets in ${attachTargetsDir(owned[0]!.layout.root)})`);
  }
  return pool;
}
