import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatSeconds, parseDuration } from '../../core/duration.ts';
import { SandboxError } from '../../core/errors.ts';
import { FAULT_TYPES, isFaultType } from '../../faults/catalog.ts';
import { connectToRunning, type SandboxConnection } from '../../runtime/connection.ts';
import { runningSession } from '../../runtime/session.ts';
import { takeRunLock } from './run.ts';
import { BUILTIN_SCENARIO_DIR, resolveScenarioArgs, scenarioFilesIn } from '../../scenario/discover.ts';
import { loadScenario } from '../../scenario/loader.ts';
import { installRunConfig } from '../../scenario/prepare.ts';
import { sampleServiceNames } from '../../stack/catalog.ts';
import { applyFix, FIX_ACTIONS, firingAlerts, isFixAction, resetSandboxQuick, type FiringAlert } from '../../workshop/actions.ts';
import { buildDebrief, scorecardText, timelineText } from '../../workshop/debrief.ts';
import { renderDebriefHtml } from '../../workshop/debrief-html.ts';
import { describeEvent, readEvents, type WorkshopEvent } from '../../workshop/events.ts';
import { nextHint } from '../../workshop/hints.ts';
import { isCorrectDiagnosis, parseDifficulty, pickIncident } from '../../workshop/plan.ts';
import { parseSeed } from '../../workshop/rng.ts';
import { launchWorkshop, recordAction, stopDriver, workshopActive } from '../../workshop/session.ts';
import { readWorkshopState, requireWorkshopState, workshopLayout, type WorkshopState } from '../../workshop/state.ts';
import { layoutFrom, out, type GlobalOptions } from '../context.ts';

/**
 * `sandbox workshop ...`: on-call training. A hidden incident from the catalog starts after a
 * seeded quiet period; trainees acknowledge, diagnose and fix it; a debrief scores them.
 */
export interface WorkshopStartOptions extends GlobalOptions {
  seed?: string;
  scenario?: string;
  random?: boolean;
  difficulty?: string;
  runtime: string;
  remediation?: boolean;
  quietPeriod?: string;
  json?: boolean;
}

export async function workshopStartCommand(opts: WorkshopStartOptions): Promise<number> {
  const layout = layoutFrom(opts);
  const w = workshopLayout(layout);
  if (opts.scenario && opts.random) throw new SandboxError('INVALID_ARGUMENT', '--scenario and --random exclude each other');
  const seed = parseSeed(opts.seed);
  const difficulty = parseDifficulty(opts.difficulty);
  let quietPeriodSeconds: number | undefined;
  if (opts.quietPeriod !== undefined) {
    const q = parseDuration(opts.quietPeriod);
    if (q === null) throw new SandboxError('INVALID_ARGUMENT', `--quiet-period "${opts.quietPeriod}" is not a duration`, { hint: 'e.g. 3s or 1m' });
    quietPeriodSeconds = q;
  }
  const catalog = scenarioFilesIn(BUILTIN_SCENARIO_DIR).map((f) => loadScenario(f));
  const chosen = opts.scenario ? loadScenario(resolveScenarioArgs([opts.scenario])[0]!) : undefined;
  const plan = pickIncident({ seed, difficulty, catalog, ...(chosen ? { scenario: chosen } : {}), ...(quietPeriodSeconds !== undefined ? { quietPeriodSeconds } : {}) });

  const previous = readWorkshopState(w);
  if (workshopActive(previous)) {
    throw new SandboxError('SANDBOX_ALREADY_RUNNING', `a workshop is already running from ${layout.root} (driver pid ${previous!.driverPid})`, {
      hint: '`npx sandbox workshop stop` (or `reset`) ends it first',
    });
  }

  const remediation = opts.remediation ?? false;
  let info = await runningSession(layout);
  let startedSandbox = false;
  if (!info) {
    const { upCommand } = await import('./up.ts');
    // With --json, stdout carries one JSON document: the sandbox's start-up lines go to stderr.
    const stdoutWrite = process.stdout.write;
    if (opts.json) process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
    try {
      await upCommand({ ...opts, runtime: opts.runtime, detach: true, remediation });
    } finally {
      process.stdout.write = stdoutWrite;
    }
    startedSandbox = true;
    info = await runningSession(layout);
  }
  if (!info) throw new SandboxError('NO_SANDBOX_RUNNING', 'the sandbox did not record its session');
  const conn = connectToRunning(layout);
  const urls = await componentUrls(conn);
  for (const n of ['prometheus', 'api-gateway', ...plan.faults.map((f) => f.service)]) {
    if (!urls[n]) throw new SandboxError('COMPONENT_DIED', `the workshop needs ${n}, which this sandbox does not run`);
  }
  // Not while a scenario run uses the sandbox; the driver holds this slot for the round.
  const runLock = takeRunLock(layout, 'workshop');
  try {
    const lingering = await resetSandboxQuick(conn, { dryRun: !remediation, waitMs: 5000 });
    if (lingering.length > 0 && !opts.json) out(`note: alerts still active from before (they do not count for this round): ${[...new Set(lingering)].join(', ')}`);
    if (conn.runtime !== 'attached') await installRunConfig(conn, plan.ruleFiles, `workshop-${seed}-${randomBytes(3).toString('hex')}`);
  } finally {
    runLock.release();
  }

  const state = await launchWorkshop(layout, w, { session: info.session, plan, remediation, startedSandbox });
  if (opts.json) {
    out(JSON.stringify({ seed, difficulty, startedAt: state.startedAt, remediation, startedSandbox, stateFile: w.stateFile }, null, 2));
    return 0;
  }
  out('');
  out(`workshop started: seed ${seed}, difficulty ${difficulty}, remediation ${remediation ? 'ON' : 'off (the controller records what it would do and acts on nothing)'}`);
  out('An incident will start at some point; watch your alerts.');
  out(`  alerts:        ${urls.prometheus}/alerts   ·   ${urls.alertmanager ?? ''}`);
  if (urls.grafana) out(`  dashboards:    ${urls.grafana}`);
  out(`  runbooks:      runbooks/<Alert>.md, or ${conn.controlUrl}/runbooks/<Alert>`);
  out('  on call:       npx sandbox workshop status | ack | diagnose --service S --cause C | fix <action> [--service S] | hint');
  out(`  causes:        ${FAULT_TYPES.join(', ')}`);
  out(`  fix actions:   ${FIX_ACTIONS.join(', ')}`);
  out('  facilitator:   npx sandbox workshop reveal | reset | stop | debrief');
  return 0;
}

async function componentUrls(conn: SandboxConnection): Promise<Record<string, string | undefined>> {
  return Object.fromEntries((await conn.status()).components.map((c) => [c.name, c.url]));
}

/** Alerts firing now; an empty list when the sandbox is not running. */
async function currentAlerts(opts: GlobalOptions): Promise<{ running: boolean; alerts: FiringAlert[] }> {
  const layout = layoutFrom(opts);
  const info = await runningSession(layout);
  if (!info) return { running: false, alerts: [] };
  const prometheus = (await componentUrls(connectToRunning(layout))).prometheus;
  if (!prometheus) return { running: true, alerts: [] };
  return { running: true, alerts: await firingAlerts(prometheus).catch(() => []) };
}

function load(opts: GlobalOptions) {
  const layout = layoutFrom(opts);
  const w = workshopLayout(layout);
  const state = requireWorkshopState(w);
  return { layout, w, state, events: readEvents(w.eventsFile) };
}

const since = (_state: WorkshopState, e: { t: number }) => `+${formatSeconds(e.t)}`;
const elapsedOf = (state: WorkshopState) => Math.round(((state.endedAt ? Date.parse(state.endedAt) : Date.now()) - Date.parse(state.startedAt)) / 100) / 10;
const alertText = (a: FiringAlert) => `${a.alert}${a.labels.service ? ` {service="${a.labels.service}"}` : ''}${a.severity ? ` [${a.severity}]` : ''}`;

/** One line per alert name, service and severity (an SLO alert fires once per window pair). */
function groupAlerts(alerts: readonly FiringAlert[]): string[] {
  const groups = new Map<string, { text: string; n: number; since: string | null }>();
  for (const a of alerts) {
    const text = alertText(a);
    const g = groups.get(text) ?? { text, n: 0, since: a.activeAt };
    g.n += 1;
    if (a.activeAt && (!g.since || a.activeAt < g.since)) g.since = a.activeAt;
    groups.set(text, g);
  }
  return [...groups.values()].map((g) => `${g.text}${g.n > 1 ? ` ×${g.n}` : ''}${g.since ? ` since ${g.since.slice(11, 19)}Z` : ''}`);
}

/** Has the incident raised anything a trainee could act on (now, or earlier in this round)? */
function alertHasFired(events: readonly WorkshopEvent[], alerts: readonly FiringAlert[]): boolean {
  const incident = events.find((e) => e.kind === 'fault-start');
  return alerts.length > 0 || (incident !== undefined && events.some((e) => e.kind === 'alert-firing' && e.t >= incident.t));
}

/** `workshop status`: only what a trainee on call may see. */
export async function workshopStatusCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const { state, events } = load(opts);
  const { running, alerts } = await currentAlerts(opts);
  const ack = events.find((e) => e.kind === 'ack');
  const diagnoses = events.filter((e) => e.kind === 'diagnose');
  const correct = diagnoses.find((e) => e.kind === 'diagnose' && e.correct);
  const fixes = events.flatMap((e) => (e.kind === 'fix' ? [{ t: e.t, action: e.action, service: e.service, ok: e.ok }] : []));
  const recovered = events.find((e) => e.kind === 'recovered');
  const doc = {
    active: workshopActive(state),
    sandboxRunning: running,
    startedAt: state.startedAt,
    elapsedSeconds: elapsedOf(state),
    alerts,
    acknowledged: ack ? { t: ack.t, at: ack.at } : null,
    diagnosis: { correct: correct !== undefined, wrong: diagnoses.filter((d) => d.kind === 'diagnose' && !d.correct).length },
    hintsUsed: events.filter((e) => e.kind === 'hint').length,
    fixes,
    recovered: recovered !== undefined,
  };
  if (opts.json) {
    out(JSON.stringify(doc, null, 2));
    return 0;
  }
  out(`workshop ${doc.active ? 'running' : 'ended'} · ${formatSeconds(doc.elapsedSeconds)} elapsed${running ? '' : ' · the sandbox is not running'}`);
  out(alerts.length ? `alerts firing now (${alerts.length}):` : 'no alert is firing');
  for (const line of groupAlerts(alerts)) out(`  ${line}`);
  out(`acknowledged: ${ack ? `yes (${since(state, ack)})` : 'no'}`);
  out(`diagnosis:    ${correct ? `correct (${since(state, correct)})` : 'not yet'}${doc.diagnosis.wrong ? `, ${doc.diagnosis.wrong} wrong` : ''}`);
  out(`hints used:   ${doc.hintsUsed}`);
  if (fixes.length) out(`fixes:        ${fixes.map((f) => `${f.action} ${f.service}${f.ok ? '' : ' (failed)'}`).join(', ')}`);
  if (doc.recovered) out('recovered:    yes');
  return 0;
}

function requireActive(state: WorkshopState): void {
  if (state.phase === 'ended') {
    throw new SandboxError('INVALID_ARGUMENT', 'this workshop round has ended', { hint: '`npx sandbox workshop debrief` reviews it; `workshop start` begins a new one' });
  }
}

/** `workshop ack`: acknowledge the page. */
export async function workshopAckCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const { w, state, events } = load(opts);
  requireActive(state);
  const { alerts } = await currentAlerts(opts);
  const already = events.find((e) => e.kind === 'ack');
  if (already) {
    if (opts.json) out(JSON.stringify({ acknowledged: true, already: true, t: already.t, at: already.at }));
    else out(`already acknowledged at ${since(state, already)}`);
    return 0;
  }
  if (!alertHasFired(events, alerts)) {
    throw new SandboxError('INVALID_ARGUMENT', 'nothing to acknowledge: no alert has fired', { hint: 'watch your alerts (`npx sandbox workshop status`)' });
  }
  const e = recordAction(w, state, { kind: 'ack', alerts: [...new Set(alerts.map((a) => a.alert))] });
  if (opts.json) out(JSON.stringify({ acknowledged: true, already: false, t: e.t, at: e.at }));
  else out(`acknowledged at ${since(state, e)}${alerts.length ? `: ${[...new Set(alerts.map((a) => a.alert))].join(', ')}` : ''}. You are on it: investigate, then \`workshop diagnose\`.`);
  return 0;
}

/** `workshop diagnose --service X --cause Y`: a wrong diagnosis is recorded and counted. */
export async function workshopDiagnoseCommand(opts: GlobalOptions & { service: string; cause: string; json?: boolean }): Promise<number> {
  const { w, state, events } = load(opts);
  requireActive(state);
  if (!isFaultType(opts.cause)) throw new SandboxError('INVALID_ARGUMENT', `cause "${opts.cause}" is not one of ${FAULT_TYPES.join(', ')}`);
  if (!sampleServiceNames().includes(opts.service)) {
    throw new SandboxError('INVALID_ARGUMENT', `"${opts.service}" is not a sample service`, { hint: `services: ${sampleServiceNames().join(', ')}` });
  }
  const done = events.find((e) => e.kind === 'diagnose' && e.correct);
  if (done) {
    if (opts.json) out(JSON.stringify({ correct: true, already: true, t: done.t }));
    else out(`already diagnosed correctly at ${since(state, done)}: ${describeEvent(done)}`);
    return 0;
  }
  const correct = isCorrectDiagnosis(state.plan, opts.service, opts.cause);
  const e = recordAction(w, state, { kind: 'diagnose', service: opts.service, cause: opts.cause, correct });
  const wrong = events.filter((x) => x.kind === 'diagnose' && !x.correct).length + (correct ? 0 : 1);
  if (opts.json) out(JSON.stringify({ correct, already: false, t: e.t, wrongDiagnoses: wrong }));
  else out(correct ? `correct: ${opts.cause} on ${opts.service} (${since(state, e)}). Now fix it: \`workshop fix <action>\`.` : `not it: ${opts.cause} on ${opts.service} does not explain what is happening (wrong diagnoses: ${wrong}).`);
  return 0;
}

/** `workshop fix <action> [--service X]`: the remediation playbooks' actions, by hand. */
export async function workshopFixCommand(action: string, opts: GlobalOptions & { service?: string; state?: string; json?: boolean }): Promise<number> {
  const { layout, w, state } = load(opts);
  requireActive(state);
  if (!isFixAction(action)) throw new SandboxError('INVALID_ARGUMENT', `fix action "${action}" is not one of ${FIX_ACTIONS.join(', ')}`);
  const conn = connectToRunning(layout);
  // The action counts from when it was asked for, as a page's "acted at" would.
  const askedAt = Date.now();
  const result = await applyFix(conn, action, { ...(opts.service ? { service: opts.service } : {}), ...(opts.state ? { state: opts.state } : {}) });
  const e = recordAction(w, state, { kind: 'fix', action: result.action, service: result.service, ok: result.ok, detail: result.detail }, askedAt);
  if (opts.json) out(JSON.stringify({ ...result, t: e.t }));
  else out(result.ok ? `done: ${result.detail} (${since(state, e)})` : `failed: ${result.detail}`);
  if (!result.ok) throw new SandboxError('REMOTE_ERROR', `${action} ${result.service} failed: ${result.detail}`);
  return 0;
}

/** `workshop hint`: the next graded hint; each costs points. */
export async function workshopHintCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const { w, state, events } = load(opts);
  requireActive(state);
  const { alerts } = await currentAlerts(opts);
  if (!alertHasFired(events, alerts)) {
    if (opts.json) out(JSON.stringify({ hint: null, reason: 'no alert has fired yet' }));
    else out('no alert has fired yet: watch your alerts (hints help with an incident you can see; this one cost nothing)');
    return 0;
  }
  const used = events.filter((e) => e.kind === 'hint').length;
  const hint = nextHint(state.plan, used);
  if (!hint) {
    if (opts.json) out(JSON.stringify({ hint: null, reason: 'no more hints' }));
    else out('no more hints: you have all three (`workshop reveal` is for the facilitator)');
    return 0;
  }
  recordAction(w, state, { kind: 'hint', level: hint.level, cost: hint.cost });
  if (opts.json) out(JSON.stringify({ hint }));
  else out(`hint ${hint.level}/3 (−${hint.cost} points): ${hint.text}`);
  return 0;
}

/** `workshop reveal`: facilitator notes, what was injected and when. */
export async function workshopRevealCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const { w, state } = load(opts);
  recordAction(w, state, { kind: 'reveal' });
  const p = state.plan;
  const doc = {
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
  if (opts.json) {
    out(JSON.stringify(doc, null, 2));
    return 0;
  }
  out(`scenario ${p.scenario}${p.description ? `: ${p.description}` : ''}`);
  out(`seed ${p.seed}, difficulty ${p.difficulty}, quiet period ${formatSeconds(p.quietPeriodSeconds)}`);
  for (const f of p.faults) {
    const inj = state.injected.find((i) => i.type === f.type && i.service === f.service);
    out(`  ${f.type} on ${f.service} ${JSON.stringify(f.params)}${f.durationSeconds !== null ? ` for ${formatSeconds(f.durationSeconds)}` : ''}: planned +${formatSeconds(f.atSeconds)}, ${inj ? `injected ${inj.at} (+${formatSeconds(inj.t)})` : 'not injected yet'}`);
  }
  out(`expected alerts: ${p.expectedAlerts.map((a) => a.alert).join(', ') || 'none'}`);
  out(`recovered: ${state.recoveredAt ?? 'not yet'}`);
  return 0;
}

/** `workshop reset`: end the incident and bring the sandbox back to clean, in seconds. */
export async function workshopResetCommand(opts: GlobalOptions): Promise<number> {
  const layout = layoutFrom(opts);
  const w = workshopLayout(layout);
  const started = performance.now();
  const state = await stopDriver(layout, w);
  const conn = connectToRunning(layout);
  const lingering = await resetSandboxQuick(conn, { dryRun: !(state?.remediation ?? false), waitMs: 3000 });
  if (state) recordAction(w, state, { kind: 'reset' });
  out(`sandbox reset in ${((performance.now() - started) / 1000).toFixed(1)}s: faults cleared, services ready, receivers emptied`);
  if (lingering.length) out(`alerts still active (they resolve by themselves; slow SLO burn windows take minutes): ${[...new Set(lingering)].join(', ')}`);
  out('`npx sandbox workshop start` begins the next round; `workshop debrief` reviews this one.');
  return 0;
}

/** `workshop stop`: end the round; stop the sandbox too when the workshop started it. */
export async function workshopStopCommand(opts: GlobalOptions & { keepSandbox?: boolean }): Promise<number> {
  const layout = layoutFrom(opts);
  const w = workshopLayout(layout);
  const before = requireWorkshopState(w);
  const wasActive = before.phase !== 'ended';
  const state = await stopDriver(layout, w);
  if (state && wasActive) recordAction(w, state, { kind: 'workshop-stop' });
  out(wasActive ? 'workshop stopped' : 'the workshop had already ended');
  if (state?.startedSandbox && !opts.keepSandbox) {
    const { downCommand } = await import('./down.ts');
    await downCommand(opts);
  }
  out('`npx sandbox workshop debrief` shows the scorecard and writes the HTML debrief.');
  return 0;
}

/** `workshop debrief [--out file] [--json]`: scorecard in the terminal plus a self-contained HTML page. */
export async function workshopDebriefCommand(opts: GlobalOptions & { out?: string; json?: boolean }): Promise<number> {
  const { w, state, events } = load(opts);
  const debrief = buildDebrief(state, events);
  const file = resolve(opts.out ?? w.debriefFile);
  writeFileSync(file, renderDebriefHtml(debrief));
  if (opts.json) {
    out(JSON.stringify({ ...debrief, html: file }, null, 2));
    return 0;
  }
  out(scorecardText(debrief));
  out('');
  out('timeline:');
  out(timelineText(debrief));
  out('');
  out(`HTML debrief: ${file}`);
  return 0;
}
