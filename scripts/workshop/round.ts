import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StatusDocument } from '../core/control-protocol.ts';
import { parseDuration } from '../core/duration.ts';
import { SandboxError } from '../core/errors.ts';
import { FAULT_TYPES, isFaultType } from '../faults/catalog.ts';
import { startDetached } from '../engine/detached-sandbox.ts';
import { takeRunLock } from '../engine/run-lock.ts';
import { connectToRunning } from '../runtime/connection.ts';
import { runningSession } from '../runtime/session.ts';
import { stateLayout, type StateLayout } from '../runtime/state.ts';
import { BUILTIN_SCENARIO_DIR, resolveScenarioArgs, scenarioFilesIn } from '../scenario/discover.ts';
import { loadScenario } from '../scenario/loader.ts';
import { installRunConfig } from '../scenario/prepare.ts';
import { sampleServiceNames } from '../stack/catalog.ts';
import { applyFix, FIX_ACTIONS, firingAlerts, isFixAction, resetSandboxQuick, type FiringAlert, type FixResult } from './actions.ts';
import { buildDebrief } from './debrief.ts';
import { renderDebriefHtml } from './debrief-html.ts';
import { readEvents, type WorkshopEvent, type WorkshopEventOf } from './events.ts';
import { nextHint, type Hint } from './hints.ts';
import { isCorrectDiagnosis, parseDifficulty, pickIncident, type Difficulty } from './plan.ts';
import { parseSeed } from './rng.ts';
import { launchWorkshop, recordAction, stopDriver, workshopActive } from './session.ts';
import { readWorkshopState, requireWorkshopState, workshopLayout, type WorkshopLayout, type WorkshopState } from './state.ts';

/**
 * A workshop round, as operations on a state dir: the CLI's `sandbox workshop ...` commands
 * parse their options, call one of these and print what it returns.
 */

export interface StartRoundOptions {
  stateDir: string;
  portOffset: number;
  /** `--runtime` as given; the sandbox is started (detached) only when none runs. */
  runtime: string;
  without?: string;
  seed?: string;
  scenario?: string;
  random?: boolean;
  difficulty?: string;
  quietPeriod?: string;
  /** Let the remediation controller act (off by default: trainees must). */
  remediation?: boolean;
}

export interface StartedRound {
  seed: number;
  difficulty: Difficulty;
  remediation: boolean;
  state: WorkshopState;
  stateFile: string;
  /** The sandbox this round started (detached), when none was running. */
  startedSandbox: { pid: number; status: StatusDocument } | null;
  /** Component URLs, for the trainees' pointers. */
  urls: Record<string, string | undefined>;
  controlUrl: string;
  /** Alerts still active from before the round (they do not count for it). */
  lingering: string[];
}

export async function startRound(options: StartRoundOptions): Promise<StartedRound> {
  const layout = stateLayout(options.stateDir);
  const w = workshopLayout(layout);
  if (options.scenario && options.random) throw new SandboxError('INVALID_ARGUMENT', '--scenario and --random exclude each other');
  const seed = parseSeed(options.seed);
  const difficulty = parseDifficulty(options.difficulty);
  let quietPeriodSeconds: number | undefined;
  if (options.quietPeriod !== undefined) {
    const q = parseDuration(options.quietPeriod);
    if (q === null) throw new SandboxError('INVALID_ARGUMENT', `--quiet-period "${options.quietPeriod}" is not a duration`, { hint: 'e.g. 3s or 1m' });
    quietPeriodSeconds = q;
  }
  const catalog = scenarioFilesIn(BUILTIN_SCENARIO_DIR).map((f) => loadScenario(f));
  const chosen = options.scenario ? loadScenario(resolveScenarioArgs([options.scenario])[0]!) : undefined;
  const plan = pickIncident({ seed, difficulty, catalog, ...(chosen ? { scenario: chosen } : {}), ...(quietPeriodSeconds !== undefined ? { quietPeriodSeconds } : {}) });

  const previous = readWorkshopState(w);
  if (workshopActive(previous)) {
    throw new SandboxError('SANDBOX_ALREADY_RUNNING', `a workshop is already running from ${layout.root} (driver pid ${previous!.driverPid})`, {
      hint: '`npx sandbox workshop stop` (or `reset`) ends it first',
    });
  }

  const remediation = options.remediation ?? false;
  let info = await runningSession(layout);
  let startedSandbox: StartedRound['startedSandbox'] = null;
  if (!info) {
    startedSandbox = await startDetached({
      stateDir: layout.root,
      portOffset: options.portOffset,
      runtime: options.runtime,
      ...(options.without !== undefined ? { without: options.without } : {}),
      remediation,
    });
    info = await runningSession(layout);
  }
  if (!info) throw new SandboxError('NO_SANDBOX_RUNNING', 'the sandbox did not record its session');
  const conn = connectToRunning(layout);
  const urls = Object.fromEntries((await conn.status()).components.map((c) => [c.name, c.url]));
  for (const n of ['prometheus', 'api-gateway', ...plan.faults.map((f) => f.service)]) {
    if (!urls[n]) throw new SandboxError('COMPONENT_DIED', `the workshop needs ${n}, which this sandbox does not run`);
  }
  // Not while a scenario run uses the sandbox; the driver holds this slot for the round.
  const runLock = takeRunLock(layout, 'workshop');
  let lingering: string[];
  try {
    lingering = [...new Set(await resetSandboxQuick(conn, { dryRun: !remediation, waitMs: 5000 }))];
    if (conn.runtime !== 'attached') await installRunConfig(conn, plan.ruleFiles, `workshop-${seed}-${randomBytes(3).toString('hex')}`);
  } finally {
    runLock.release();
  }
  const state = await launchWorkshop(layout, w, { session: info.session, plan, remediation, startedSandbox: startedSandbox !== null });
  return { seed, difficulty, remediation, state, stateFile: w.stateFile, startedSandbox, urls, controlUrl: conn.controlUrl, lingering };
}

/** Alerts firing now; `running: false` (and none) when the sandbox is not running. */
export async function currentAlerts(stateDir: string): Promise<{ running: boolean; alerts: FiringAlert[] }> {
  const layout = stateLayout(stateDir);
  if (!(await runningSession(layout))) return { running: false, alerts: [] };
  const prometheus = await connectToRunning(layout)
    .urlOf('prometheus')
    .catch(() => null);
  if (!prometheus) return { running: true, alerts: [] };
  return { running: true, alerts: await firingAlerts(prometheus).catch(() => []) };
}

/** The round recorded in a state dir: its layout, state and event log. */
export function loadRound(stateDir: string): { layout: StateLayout; w: WorkshopLayout; state: WorkshopState; events: WorkshopEvent[] } {
  const layout = stateLayout(stateDir);
  const w = workshopLayout(layout);
  const state = requireWorkshopState(w);
  return { layout, w, state, events: readEvents(w.eventsFile) };
}

export const elapsedSeconds = (state: WorkshopState) => Math.round(((state.endedAt ? Date.parse(state.endedAt) : Date.now()) - Date.parse(state.startedAt)) / 100) / 10;

/** Has the incident raised anything a trainee could act on (now, or earlier in this round)? */
export function alertHasFired(events: readonly WorkshopEvent[], alerts: readonly FiringAlert[]): boolean {
  const incident = events.find((e) => e.kind === 'fault-start');
  return alerts.length > 0 || (incident !== undefined && events.some((e) => e.kind === 'alert-firing' && e.t >= incident.t));
}

function requireActive(state: WorkshopState): void {
  if (state.phase === 'ended') {
    throw new SandboxError('INVALID_ARGUMENT', 'this workshop round has ended', { hint: '`npx sandbox workshop debrief` reviews it; `workshop start` begins a new one' });
  }
}

/** What a trainee on call may see (`doc`, the --json document), and when the diagnosis was right. */
export async function roundStatus(stateDir: string) {
  const { state, events } = loadRound(stateDir);
  const { running, alerts } = await currentAlerts(stateDir);
  const ack = events.find((e) => e.kind === 'ack');
  const diagnoses = events.filter((e): e is WorkshopEventOf<'diagnose'> => e.kind === 'diagnose');
  const correct = diagnoses.find((e) => e.correct);
  const fixes = events.flatMap((e) => (e.kind === 'fix' ? [{ t: e.t, action: e.action, service: e.service, ok: e.ok }] : []));
  const doc = {
    active: workshopActive(state),
    sandboxRunning: running,
    startedAt: state.startedAt,
    elapsedSeconds: elapsedSeconds(state),
    alerts,
    acknowledged: ack ? { t: ack.t, at: ack.at } : null,
    diagnosis: { correct: correct !== undefined, wrong: diagnoses.filter((d) => !d.correct).length },
    hintsUsed: events.filter((e) => e.kind === 'hint').length,
    fixes,
    recovered: events.some((e) => e.kind === 'recovered'),
  };
  return { doc, correctAtT: correct?.t ?? null };
}

/** Acknowledge the page (once; refused before any alert fired). */
export async function acknowledge(stateDir: string): Promise<{ already: boolean; t: number; at: string; alerts: string[] }> {
  const { w, state, events } = loadRound(stateDir);
  requireActive(state);
  const { alerts } = await currentAlerts(stateDir);
  const already = events.find((e) => e.kind === 'ack');
  if (already) return { already: true, t: already.t, at: already.at, alerts: [] };
  if (!alertHasFired(events, alerts)) {
    throw new SandboxError('INVALID_ARGUMENT', 'nothing to acknowledge: no alert has fired', { hint: 'watch your alerts (`npx sandbox workshop status`)' });
  }
  const names = [...new Set(alerts.map((a) => a.alert))];
  const e = recordAction(w, state, { kind: 'ack', alerts: names });
  return { already: false, t: e.t, at: e.at, alerts: names };
}

/** A diagnosis: service and cause; a wrong one is recorded and counted. */
export function diagnose(stateDir: string, service: string, cause: string): { correct: boolean; already: boolean; t: number; wrongDiagnoses: number; event: WorkshopEvent } {
  const { w, state, events } = loadRound(stateDir);
  requireActive(state);
  if (!isFaultType(cause)) throw new SandboxError('INVALID_ARGUMENT', `cause "${cause}" is not one of ${FAULT_TYPES.join(', ')}`);
  if (!sampleServiceNames().includes(service)) {
    throw new SandboxError('INVALID_ARGUMENT', `"${service}" is not a sample service`, { hint: `services: ${sampleServiceNames().join(', ')}` });
  }
  const wrongBefore = events.filter((x) => x.kind === 'diagnose' && !x.correct).length;
  const done = events.find((e) => e.kind === 'diagnose' && e.correct);
  if (done) return { correct: true, already: true, t: done.t, wrongDiagnoses: wrongBefore, event: done };
  const correct = isCorrectDiagnosis(state.plan, service, cause);
  const e = recordAction(w, state, { kind: 'diagnose', service, cause, correct });
  return { correct, already: false, t: e.t, wrongDiagnoses: wrongBefore + (correct ? 0 : 1), event: e };
}

/** One of the remediation playbooks' actions, by hand; counts from when it was asked for. Fails (REMOTE_ERROR) when it did not work. */
export async function fix(stateDir: string, action: string, options: { service?: string; state?: string }): Promise<FixResult & { t: number }> {
  const { layout, w, state } = loadRound(stateDir);
  requireActive(state);
  if (!isFixAction(action)) throw new SandboxError('INVALID_ARGUMENT', `fix action "${action}" is not one of ${FIX_ACTIONS.join(', ')}`);
  const askedAt = Date.now();
  const result = await applyFix(connectToRunning(layout), action, options);
  const e = recordAction(w, state, { kind: 'fix', action: result.action, service: result.service, ok: result.ok, detail: result.detail }, askedAt);
  return { ...result, t: e.t };
}

/** The next graded hint (each costs points), or why there is none. */
export async function takeHint(stateDir: string): Promise<{ hint: Hint; reason: null } | { hint: null; reason: 'no alert has fired yet' | 'no more hints' }> {
  const { w, state, events } = loadRound(stateDir);
  requireActive(state);
  const { alerts } = await currentAlerts(stateDir);
  if (!alertHasFired(events, alerts)) return { hint: null, reason: 'no alert has fired yet' };
  const hint = nextHint(state.plan, events.filter((e) => e.kind === 'hint').length);
  if (!hint) return { hint: null, reason: 'no more hints' };
  recordAction(w, state, { kind: 'hint', level: hint.level, cost: hint.cost });
  return { hint, reason: null };
}

/** The facilitator's view: what was planned, what was injected and when (recorded as a reveal). */
export function reveal(stateDir: string) {
  const { w, state } = loadRound(stateDir);
  recordAction(w, state, { kind: 'reveal' });
  const p = state.plan;
  return {
    scenario: p.scenario,
    scenarioFile: p.scenarioFile,
    description: p.description ?? null,
    seed: p.seed,
    difficulty: p.difficulty,
    quietPeriodSeconds: p.quietPeriodSeconds,
    faults: p.faults,
    injected: state.injected,
    expectedAlerts: p.expectedAlerts,
    primaryAlert: p.primaryAlert,
    recoveredAt: state.recoveredAt,
  };
}

/** End the incident and bring the sandbox back to clean, in seconds. */
export async function resetRound(stateDir: string): Promise<{ seconds: number; lingering: string[] }> {
  const layout = stateLayout(stateDir);
  const w = workshopLayout(layout);
  const started = performance.now();
  const state = await stopDriver(layout, w);
  const lingering = await resetSandboxQuick(connectToRunning(layout), { dryRun: !(state?.remediation ?? false), waitMs: 3000 });
  if (state) recordAction(w, state, { kind: 'reset' });
  return { seconds: (performance.now() - started) / 1000, lingering: [...new Set(lingering)] };
}

/** End the round. `startedSandbox`: the workshop started the sandbox (the caller stops it unless asked to keep it). */
export async function stopRound(stateDir: string): Promise<{ wasActive: boolean; startedSandbox: boolean }> {
  const layout = stateLayout(stateDir);
  const w = workshopLayout(layout);
  const wasActive = requireWorkshopState(w).phase !== 'ended';
  const state = await stopDriver(layout, w);
  if (state && wasActive) recordAction(w, state, { kind: 'workshop-stop' });
  return { wasActive, startedSandbox: state?.startedSandbox ?? false };
}

/** The scored debrief, with its self-contained HTML page written (default: the workshop dir's). */
export function writeDebrief(stateDir: string, outFile?: string): { debrief: ReturnType<typeof buildDebrief>; html: string } {
  const { w, state, events } = loadRound(stateDir);
  const debrief = buildDebrief(state, events);
  const html = resolve(outFile ?? w.debriefFile);
  writeFileSync(html, renderDebriefHtml(debrief));
  return { debrief, html };
}
