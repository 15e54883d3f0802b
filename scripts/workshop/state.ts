import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from '../core/errors.ts';
import { writeFileAtomic } from '../runtime/config/render.ts';
import type { StateLayout } from '../runtime/state.ts';
import type { IncidentPlan } from './plan.ts';

/** Where a workshop keeps its state: `<state dir>/workshop/`. */
export interface WorkshopLayout {
  dir: string;
  stateFile: string;
  eventsFile: string;
  debriefFile: string;
  driverLog: string;
  historyDir: string;
}

export function workshopLayout(layout: StateLayout): WorkshopLayout {
  const dir = join(layout.root, 'workshop');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    eventsFile: join(dir, 'events.jsonl'),
    debriefFile: join(dir, 'debrief.html'),
    driverLog: join(layout.logsDir, 'workshop-driver.log'),
    historyDir: join(dir, 'history'),
  };
}

/**
 * 'quiet': load runs, nothing injected yet · 'incident': faults injected · 'ended': the driver
 * stopped (reset, stop, or the sandbox went away).
 */
export type WorkshopPhase = 'starting' | 'quiet' | 'incident' | 'ended';

export interface InjectedFault {
  type: string;
  service: string;
  id: string;
  at: string;
  t: number;
}

/** state.json: the plan (hidden from trainees' output), who drives it, and where it stands. */
export interface WorkshopState {
  version: 1;
  session: string;
  startedAt: string;
  plan: IncidentPlan;
  remediation: boolean;
  /** The workshop started the sandbox (so `workshop stop` stops it too). */
  startedSandbox: boolean;
  driverPid: number | null;
  phase: WorkshopPhase;
  injected: InjectedFault[];
  recoveredAt: string | null;
  endedAt: string | null;
  updatedAt: string;
}

export function readWorkshopState(w: WorkshopLayout): WorkshopState | null {
  if (!existsSync(w.stateFile)) return null;
  try {
    return JSON.parse(readFileSync(w.stateFile, 'utf8')) as WorkshopState;
  } catch {
    return null;
  }
}

export function requireWorkshopState(w: WorkshopLayout): WorkshopState {
  const s = readWorkshopState(w);
  if (!s) {
    throw new SandboxError('NO_SANDBOX_RUNNING', `no workshop in ${w.dir}`, {
      hint: 'start one with `npx sandbox workshop start [--seed N]`',
    });
  }
  return s;
}

export function writeWorkshopState(w: WorkshopLayout, state: WorkshopState): void {
  mkdirSync(w.dir, { recursive: true });
  writeFileAtomic(w.stateFile, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}

/** Move a finished workshop's state and events aside, so a new round starts with an empty log. */
export function archivePrevious(w: WorkshopLayout): string | null {
  const s = readWorkshopState(w);
  if (!s && !existsSync(w.eventsFile)) return null;
  const dest = join(w.historyDir, (s?.startedAt ?? new Date().toISOString()).replace(/[:.]/g, '-'));
  mkdirSync(dest, { recursive: true });
  for (const f of [w.stateFile, w.eventsFile, w.debriefFile]) {
    if (existsSync(f)) renameSync(f, join(dest, f.slice(w.dir.length + 1)));
  }
  return dest;
}
