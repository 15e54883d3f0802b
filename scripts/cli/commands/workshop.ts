import { formatSeconds } from '../../core/duration.ts';
import { SandboxError } from '../../core/errors.ts';
import { FAULT_TYPES } from '../../faults/catalog.ts';
import { FIX_ACTIONS, type FiringAlert } from '../../workshop/actions.ts';
import { scorecardText, timelineText } from '../../workshop/debrief.ts';
import { describeEvent } from '../../workshop/events.ts';
import { acknowledge, diagnose, fix, reveal, resetRound, roundStatus, startRound, stopRound, takeHint, writeDebrief } from '../../workshop/round.ts';
import { err, layoutFrom, out, portOffsetFrom, type GlobalOptions } from '../context.ts';
import { statusTable } from '../format.ts';

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

export async function workshopStartCommand(opts: WorkshopStartOptions & { without?: string }): Promise<number> {
  const r = await startRound({
    stateDir: layoutFrom(opts).root,
    portOffset: portOffsetFrom(opts),
    runtime: opts.runtime,
    ...(opts.without !== undefined ? { without: opts.without } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
    ...(opts.random !== undefined ? { random: opts.random } : {}),
    ...(opts.difficulty !== undefined ? { difficulty: opts.difficulty } : {}),
    ...(opts.quietPeriod !== undefined ? { quietPeriod: opts.quietPeriod } : {}),
    ...(opts.remediation !== undefined ? { remediation: opts.remediation } : {}),
  });
  // With --json, stdout carries one JSON document: the sandbox's start-up lines go to stderr.
  const say = opts.json ? err : out;
  if (r.startedSandbox) {
    say(`sandbox running in the background (${r.startedSandbox.status.runtime} runtime, pid ${r.startedSandbox.pid})`);
    say(statusTable(r.startedSandbox.status, layoutFrom(opts).sessionFile));
  }
  if (opts.json) {
    out(JSON.stringify({ seed: r.seed, difficulty: r.difficulty, startedAt: r.state.startedAt, remediation: r.remediation, startedSandbox: r.startedSandbox !== null, stateFile: r.stateFile }, null, 2));
    return 0;
  }
  if (r.lingering.length > 0) out(`note: alerts still active from before (they do not count for this round): ${r.lingering.join(', ')}`);
  out('');
  out(`workshop started: seed ${r.seed}, difficulty ${r.difficulty}, remediation ${r.remediation ? 'ON' : 'off (the controller records what it would do and acts on nothing)'}`);
  out('An incident will start at some point; watch your alerts.');
  out(`  alerts:        ${r.urls.prometheus}/alerts   ·   ${r.urls.alertmanager ?? ''}`);
  if (r.urls.grafana) out(`  dashboards:    ${r.urls.grafana}`);
  out(`  runbooks:      runbooks/<Alert>.md, or ${r.controlUrl}/runbooks/<Alert>`);
  out('  on call:       npx sandbox workshop status | ack | diagnose --service S --cause C | fix <action> [--service S] | hint');
  out(`  causes:        ${FAULT_TYPES.join(', ')}`);
  out(`  fix actions:   ${FIX_ACTIONS.join(', ')}`);
  out('  facilitator:   npx sandbox workshop reveal | reset | stop | debrief');
  return 0;
}

const dir = (opts: GlobalOptions) => layoutFrom(opts).root;
const since = (t: number) => `+${formatSeconds(t)}`;
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

/** `workshop status`: only what a trainee on call may see. */
export async function workshopStatusCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const { doc, correctAtT } = await roundStatus(dir(opts));
  if (opts.json) {
    out(JSON.stringify(doc, null, 2));
    return 0;
  }
  out(`workshop ${doc.active ? 'running' : 'ended'} · ${formatSeconds(doc.elapsedSeconds)} elapsed${doc.sandboxRunning ? '' : ' · the sandbox is not running'}`);
  out(doc.alerts.length ? `alerts firing now (${doc.alerts.length}):` : 'no alert is firing');
  for (const line of groupAlerts(doc.alerts)) out(`  ${line}`);
  out(`acknowledged: ${doc.acknowledged ? `yes (${since(doc.acknowledged.t)})` : 'no'}`);
  out(`diagnosis:    ${correctAtT !== null ? `correct (${since(correctAtT)})` : 'not yet'}${doc.diagnosis.wrong ? `, ${doc.diagnosis.wrong} wrong` : ''}`);
  out(`hints used:   ${doc.hintsUsed}`);
  if (doc.fixes.length) out(`fixes:        ${doc.fixes.map((f) => `${f.action} ${f.service}${f.ok ? '' : ' (failed)'}`).join(', ')}`);
  if (doc.recovered) out('recovered:    yes');
  return 0;
}

/** `workshop ack`: acknowledge the page. */
export async function workshopAckCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const a = await acknowledge(dir(opts));
  if (opts.json) out(JSON.stringify({ acknowledged: true, already: a.already, t: a.t, at: a.at }));
  else if (a.already) out(`already acknowledged at ${since(a.t)}`);
  else out(`acknowledged at ${since(a.t)}${a.alerts.length ? `: ${a.alerts.join(', ')}` : ''}. You are on it: investigate, then \`workshop diagnose\`.`);
  return 0;
}

/** `workshop diagnose --service X --cause Y`: a wrong diagnosis is recorded and counted. */
export async function workshopDiagnoseCommand(opts: GlobalOptions & { service: string; cause: string; json?: boolean }): Promise<number> {
  const d = diagnose(dir(opts), opts.service, opts.cause);
  if (d.already) {
    if (opts.json) out(JSON.stringify({ correct: true, already: true, t: d.t }));
    else out(`already diagnosed correctly at ${since(d.t)}: ${describeEvent(d.event)}`);
    return 0;
  }
  if (opts.json) out(JSON.stringify({ correct: d.correct, already: false, t: d.t, wrongDiagnoses: d.wrongDiagnoses }));
  else out(d.correct ? `correct: ${opts.cause} on ${opts.service} (${since(d.t)}). Now fix it: \`workshop fix <action>\`.` : `not it: ${opts.cause} on ${opts.service} does not explain what is happening (wrong diagnoses: ${d.wrongDiagnoses}).`);
  return 0;
}

/** `workshop fix <action> [--service X]`: the remediation playbooks' actions, by hand. */
export async function workshopFixCommand(action: string, opts: GlobalOptions & { service?: string; state?: string; json?: boolean }): Promise<number> {
  const result = await fix(dir(opts), action, { ...(opts.service ? { service: opts.service } : {}), ...(opts.state ? { state: opts.state } : {}) });
  if (opts.json) out(JSON.stringify(result));
  else out(result.ok ? `done: ${result.detail} (${since(result.t)})` : `failed: ${result.detail}`);
  if (!result.ok) throw new SandboxError('REMOTE_ERROR', `${action} ${result.service} failed: ${result.detail}`);
  return 0;
}

/** `workshop hint`: the next graded hint; each costs points. */
export async function workshopHintCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const h = await takeHint(dir(opts));
  if (opts.json) out(JSON.stringify(h.hint ? { hint: h.hint } : { hint: null, reason: h.reason }));
  else if (h.hint) out(`hint ${h.hint.level}/3 (−${h.hint.cost} points): ${h.hint.text}`);
  else if (h.reason === 'no more hints') out('no more hints: you have all three (`workshop reveal` is for the facilitator)');
  else out('no alert has fired yet: watch your alerts (hints help with an incident you can see; this one cost nothing)');
  return 0;
}

/** `workshop reveal`: facilitator notes, what was injected and when. */
export async function workshopRevealCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const p = reveal(dir(opts));
  if (opts.json) {
    out(JSON.stringify(p, null, 2));
    return 0;
  }
  out(`scenario ${p.scenario}${p.description ? `: ${p.description}` : ''}`);
  out(`seed ${p.seed}, difficulty ${p.difficulty}, quiet period ${formatSeconds(p.quietPeriodSeconds)}`);
  for (const f of p.faults) {
    const inj = p.injected.find((i) => i.type === f.type && i.service === f.service);
    out(`  ${f.type} on ${f.service} ${JSON.stringify(f.params)}${f.durationSeconds !== null ? ` for ${formatSeconds(f.durationSeconds)}` : ''}: planned +${formatSeconds(f.atSeconds)}, ${inj ? `injected ${inj.at} (+${formatSeconds(inj.t)})` : 'not injected yet'}`);
  }
  out(`expected alerts: ${p.expectedAlerts.map((a) => a.alert).join(', ') || 'none'}`);
  out(`recovered: ${p.recoveredAt ?? 'not yet'}`);
  return 0;
}

/** `workshop reset`: end the incident and bring the sandbox back to clean, in seconds. */
export async function workshopResetCommand(opts: GlobalOptions): Promise<number> {
  const r = await resetRound(dir(opts));
  out(`sandbox reset in ${r.seconds.toFixed(1)}s: faults cleared, services ready, receivers emptied`);
  if (r.lingering.length) out(`alerts still active (they resolve by themselves; slow SLO burn windows take minutes): ${r.lingering.join(', ')}`);
  out('`npx sandbox workshop start` begins the next round; `workshop debrief` reviews this one.');
  return 0;
}

/** `workshop stop`: end the round; stop the sandbox too when the workshop started it. */
export async function workshopStopCommand(opts: GlobalOptions & { keepSandbox?: boolean }): Promise<number> {
  const r = await stopRound(dir(opts));
  out(r.wasActive ? 'workshop stopped' : 'the workshop had already ended');
  if (r.startedSandbox && !opts.keepSandbox) {
    const { downCommand } = await import('./down.ts');
    await downCommand(opts);
  }
  out('`npx sandbox workshop debrief` shows the scorecard and writes the HTML debrief.');
  return 0;
}

/** `workshop debrief [--out file] [--json]`: scorecard in the terminal plus a self-contained HTML page. */
export async function workshopDebriefCommand(opts: GlobalOptions & { out?: string; json?: boolean }): Promise<number> {
  const { debrief, html } = writeDebrief(dir(opts), opts.out);
  if (opts.json) {
    out(JSON.stringify({ ...debrief, html }, null, 2));
    return 0;
  }
  out(scorecardText(debrief));
  out('');
  out('timeline:');
  out(timelineText(debrief));
  out('');
  out(`HTML debrief: ${html}`);
  return 0;
}
