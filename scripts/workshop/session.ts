import { spawn } from 'node:child_process';
import { OWNER_ENV } from '../runtime/processes/identity.ts';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SandboxError } from '../core/errors.ts';
import { tailOfFile } from '../runtime/processes/managed-process.ts';
import { isAlive, PidRegistry } from '../runtime/processes/pid-registry.ts';
import { signalGroup } from '../runtime/processes/reap.ts';
import type { StateLayout } from '../runtime/state.ts';
import { appendEvent, stamp } from './events.ts';
import type { IncidentPlan } from './plan.ts';
import { archivePrevious, readWorkshopState, writeWorkshopState, type WorkshopLayout, type WorkshopState } from './state.ts';

const driverMain = fileURLToPath(new URL('./driver-main.ts', import.meta.url));

/** True while a workshop's driver process runs. */
export function workshopActive(state: WorkshopState | null): boolean {
  return state !== null && state.driverPid !== null && state.phase !== 'ended' && isAlive(state.driverPid);
}

/**
 * Begin a round: archive the previous one, write state.json and the first event, and start the
 * detached driver, registered in the sandbox's pid registry so `sandbox down` reaps it.
 * Resolves once the driver has taken over (or fails with its log).
 */
export async function launchWorkshop(
  layout: StateLayout,
  w: WorkshopLayout,
  options: { session: string; plan: IncidentPlan; remediation: boolean; startedSandbox: boolean },
): Promise<WorkshopState> {
  archivePrevious(w);
  const startedAt = new Date();
  const state: WorkshopState = {
    version: 1,
    session: options.session,
    startedAt: startedAt.toISOString(),
    plan: options.plan,
    remediation: options.remediation,
    startedSandbox: options.startedSandbox,
    driverPid: null,
    phase: 'starting',
    injected: [],
    recoveredAt: null,
    endedAt: null,
    updatedAt: startedAt.toISOString(),
  };
  writeWorkshopState(w, state);
  appendEvent(
    w.eventsFile,
    stamp({ kind: 'workshop-start', seed: options.plan.seed, difficulty: options.plan.difficulty, remediation: options.remediation }, startedAt.getTime(), startedAt.getTime()),
  );

  mkdirSync(layout.logsDir, { recursive: true });
  const fd = openSync(w.driverLog, 'a');
  const args = ['--import', 'tsx', driverMain, layout.root];
  let pid: number | undefined;
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, [OWNER_ENV]: layout.root } });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) throw new SandboxError('RUNTIME_UNAVAILABLE', 'could not start the workshop driver');
  new PidRegistry(layout.pidsDir).add({ pid, name: 'workshop-driver', command: [process.execPath, ...args], session: options.session });
  writeWorkshopState(w, { ...state, driverPid: pid });

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const now = readWorkshopState(w);
    if (now && now.phase !== 'starting' && now.driverPid === pid) return now;
    if (!isAlive(pid)) {
      throw new SandboxError('RUNTIME_UNAVAILABLE', 'the workshop driver exited during start', { details: tailOfFile(w.driverLog, 15), hint: `see ${w.driverLog}` });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new SandboxError('READINESS_TIMEOUT', 'the workshop driver did not start within 30s', { hint: `see ${w.driverLog}` });
}

/**
 * Stop the driver (SIGTERM: it clears the faults it injected and records their end), SIGKILL
 * after a grace period, and mark the round ended. Idempotent.
 */
export async function stopDriver(layout: StateLayout, w: WorkshopLayout): Promise<WorkshopState | null> {
  const state = readWorkshopState(w);
  if (!state) return null;
  const pid = state.driverPid;
  if (pid !== null && isAlive(pid)) {
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 8000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
  if (pid !== null) new PidRegistry(layout.pidsDir).remove(pid);
  const after = readWorkshopState(w) ?? state;
  const ended: WorkshopState = { ...after, phase: 'ended', driverPid: null, endedAt: after.endedAt ?? new Date().toISOString() };
  writeWorkshopState(w, ended);
  return ended;
}

/** Record a trainee's or facilitator's action in the event log. */
export function recordAction(w: WorkshopLayout, state: WorkshopState, body: Parameters<typeof stamp>[0], atMs = Date.now()): ReturnType<typeof stamp> {
  const event = stamp(body, Date.parse(state.startedAt), atMs);
  appendEvent(w.eventsFile, event);
  return event;
}
