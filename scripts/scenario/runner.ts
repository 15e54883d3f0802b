import { randomBytes } from 'node:crypto';
import { isSandboxError, SandboxError } from '../core/errors.ts';
import { injectorFor } from '../faults/index.ts';
import type { ActiveFault } from '../faults/types.ts';
import { LoadDriver } from '../load/driver.ts';
import type { LoadSummary } from '../load/profile.ts';
import { predictBodies } from '../load/payloads.ts';
import { warmUp } from '../load/warm-up.ts';
import type { SandboxConnection } from '../runtime/connection.ts';
import { detectionBounds, type DetectionConfig } from './detection-bounds.ts';
import { detectionContext } from './detection-context.ts';
import { backendsOf, type FaultSpec, type NameMatcher, type Scenario } from './model.ts';
import { observeCorrelation, observeLogs, observeTrace } from './observers/lgtm.ts';
import { findStackComponent } from '../stack/catalog.ts';
import type { ComponentStatus } from '../runtime/types.ts';
import { observeAlerts } from './observers/alerts.ts';
import { grafanaFaultAnnotator } from './observers/grafana-annotations.ts';
import { readSloBudget } from './observers/slo-budget.ts';
import { observeNotifications, observeProcesses, observeRemediations } from './observers/receivers.ts';
import { installRunConfig, resetSandbox, waitForFirstScrape } from './prepare.ts';
import type { ExpectationResult, ScenarioResult } from './result.ts';
import { TimelineRecorder, type TimelineEvent } from './timeline.ts';
import { backgroundAlerts, computeMetrics, evaluateExpectations, primaryAlert } from './verdict.ts';
import { backgroundClassifier } from './attached/alert-scope.ts';

export interface ScenarioRunOptions {
  /** false: the remediation controller records what it would do and does nothing. */
  remediation: boolean;
  detection: DetectionConfig;
  /** Each timeline event as it is recorded (the engine hands them to the reporters). */
  onEvent?: (scenario: string, event: TimelineEvent) => void;
  signal?: AbortSignal;
}

/**
 * Run one scenario against a running sandbox: reset, load, inject faults on schedule, watch
 * Prometheus, the receivers and the supervisor, then judge from the timeline alone. Faults are
 * always cleared, whatever happens.
 */
export async function runScenarioOnce(conn: SandboxConnection, scenario: Scenario, options: ScenarioRunOptions): Promise<ScenarioResult> {
  // Replaced once the sandbox is reset (below): `t` counts from the scenario's start (docs/contracts.md, "Reports").
  let timeline = new TimelineRecorder();
  const started = performance.now();
  const active = new Map<ActiveFault, FaultSpec>();
  const timers: NodeJS.Timeout[] = [];
  const stops: { stop(): Promise<void> }[] = [];
  let load: LoadDriver | undefined;
  let loadDone: Promise<void> = Promise.resolve();
  let loadSummary: LoadSummary | undefined;
  let uninstallRules: (() => Promise<void>) | undefined;
  let error: SandboxError | undefined;
  // When the reset forgot Prometheus' history (null: it is not ours, attached), and how much
  // history there was when the scenario started: burn-rate windows fill from there.
  let forgotAt: number | null = null;
  let historyAtStart: number | null | undefined;

  try {
    const components = (await conn.status()).components;
    // Before anything else (reset, load): expectations on Loki or Tempo need them ready here.
    checkBackends(scenario, components, conn.runtime);
    const urls = Object.fromEntries(components.map((c) => [c.name, c.url ?? '']));
    const need = ['prometheus', 'alertmanager', 'notification-sink', 'remediation-controller', ...scenario.faults.map((f) => f.service)];
    for (const n of need) {
      if (!urls[n]) throw new SandboxError('COMPONENT_DIED', `scenario ${scenario.name} needs ${n}, which this sandbox does not run`);
    }
    const run = `${scenario.name}-${randomBytes(3).toString('hex')}`;
    forgotAt = await resetSandbox(conn, { remediation: options.remediation, run });
    // An attached Prometheus is the team's: its configuration is not ours to change.
    if (conn.runtime !== 'attached') {
      uninstallRules = await installRunConfig(conn, scenario.ruleFiles, run);
      // History starts with the first scrape of the fresh Prometheus, about 6 s after the reset;
      // the services warm up on traffic meanwhile, out of its sight (load/warm-up.ts).
      const warm = scenario.load.rate > 0 ? warmUp(urls['api-gateway']!, scenario.load.startRate ?? scenario.load.rate) : null;
      try {
        forgotAt = await waitForFirstScrape(urls.prometheus!);
      } finally {
        await warm?.stop();
      }
    }

    if (scenario.load.rate > 0) {
      const nextBody = predictBodies();
      // engine builtin or k6 (the constructor fails fast when k6 is missing); both summarise alike.
      // On the docker runtime without a k6 binary, k6 runs in a container labelled as this
      // sandbox's containers are (session.ts), so `sandbox down` and the runtime's stop find it.
      load = new LoadDriver({
        rate: scenario.load.rate,
        durationSeconds: scenario.load.durationSeconds,
        executor: scenario.load.executor,
        engine: scenario.load.engine,
        startRate: scenario.load.startRate,
        stages: scenario.load.stages,
        requests: scenario.load.requests,
        baseUrl: urls['api-gateway']!,
        body: (entry) => (entry.method === 'GET' || entry.method === 'DELETE' ? undefined : nextBody()),
        sandbox: {
          runtime: conn.runtime,
          labels: {
            'org.observability-sandbox.session': conn.session,
            ...(conn.stateDir ? { 'org.observability-sandbox.state-dir': conn.stateDir } : {}),
          },
        },
      });
      // Before the clock starts: k6 in a container pulls its image and exposes the target's port.
      await load.prepare();
    }

    // The origin every `t`, fault schedule and observation window counts from: now, after the
    // reset and rule install (seconds that would otherwise cut the window short).
    timeline = new TimelineRecorder();
    const onEvent = options.onEvent;
    if (onEvent) timeline.subscribe((e) => onEvent(scenario.name, e));
    historyAtStart = forgotAt === null ? null : (performance.now() - forgotAt) / 1000;
    timeline.record({ kind: 'scenario-start', scenario: scenario.name });
    // Fault windows as Grafana annotations where Grafana is ready; nothing where it does not run.
    const annotator = grafanaFaultAnnotator(components, { scenario: scenario.name, timeline });
    if (annotator) stops.push(annotator);
    // Attached: alerts already firing now, or not about the sandbox's services, are background.
    const background = conn.runtime === 'attached' && conn.stateDir ? await backgroundClassifier(urls.prometheus!, conn.stateDir) : undefined;
    stops.push(observeAlerts(urls.prometheus!, timeline, 100, background));
    stops.push(observeNotifications(urls['notification-sink']!, timeline, conn.chaosToken, run));
    stops.push(observeRemediations(urls['remediation-controller']!, timeline, conn.chaosToken));
    stops.push(await observeProcesses(conn.control, timeline));
    // Loki and Tempo: queried over the whole scenario, watched from the first fault's start on
    // (the moment every `within` counts from), so what they find is never before the origin.
    const fromMs = Date.now();
    const firstFault = Math.min(...scenario.faults.map((f) => f.atSeconds), Infinity);
    const lgtmStops: { stop(): Promise<void> }[] = [];
    const startLgtm = () => {
      for (const e of scenario.expectations) {
        if (e.kind === 'logs') lgtmStops.push(observeLogs(urls.loki!, e.query, fromMs, timeline));
        if (e.kind === 'trace') lgtmStops.push(observeTrace(urls.tempo!, e.query, fromMs, timeline));
        if (e.kind === 'correlation') lgtmStops.push(observeCorrelation({ prometheus: urls.prometheus!, loki: urls.loki!, tempo: urls.tempo! }, fromMs, timeline));
      }
    };
    if (scenario.expectations.some((e) => backendsOf(e).length > 0)) {
      // A fault's start is recorded when its injection returns: start just after the schedule.
      if (Number.isFinite(firstFault)) timers.push(setTimeout(startLgtm, firstFault * 1000 + 250));
      else startLgtm();
      stops.push({ stop: async () => void (await Promise.all(lgtmStops.map((s) => s.stop()))) });
    }
    if (load) {
      // `rate`: the constant rate, or a ramp's peak.
      timeline.record({ kind: 'load-start', rate: scenario.load.rate, durationSeconds: scenario.load.durationSeconds });
      const driver = load;
      loadDone = driver.run().then((summary) => {
        loadSummary = summary;
        timeline.record({ kind: 'load-end', sent: summary.sent, failed: summary.failed });
      });
      // A failed k6 run is reported where loadDone is awaited; never as an unhandled rejection.
      loadDone.catch(() => undefined);
    }

    // The run ends at the observation window's end, on an injection failure or an abort, or as
    // soon as an event settles every expectation: judged on each event, never on a clock tick.
    const injectionErrors: SandboxError[] = [];
    const settled = untilSettled(scenario, timeline, observationWindow(scenario), options.signal);
    for (const fault of scenario.faults) {
      timers.push(
        setTimeout(() => {
          void injectFault(conn, fault, timeline, active, timers, stops).catch((e: unknown) => {
            injectionErrors.push(isSandboxError(e) ? e : new SandboxError('INJECTION_FAILED', (e as Error).message));
            settled.end();
          });
        }, fault.atSeconds * 1000),
      );
    }
    await settled.promise;
    if (injectionErrors.length > 0) throw injectionErrors[0];
    if (options.signal?.aborted) throw new SandboxError('INTERRUPTED', `scenario ${scenario.name} interrupted`);
    load?.stop();
    await loadDone;
    // Error budget the scenario consumed, over its whole length, for each `slo` expectation.
    for (const e of scenario.expectations) {
      if (e.kind !== 'slo') continue;
      timeline.record({ kind: 'slo-budget', ...(await readSloBudget(urls.prometheus!, e.slo, timeline.now())) });
    }
  } catch (e) {
    error = isSandboxError(e) ? e : new SandboxError('REMOTE_ERROR', (e as Error).message, { cause: e });
    // A request that failed because the sandbox died says less than what died.
    if (error.code !== 'COMPONENT_UNAVAILABLE' && error.code !== 'INTERRUPTED') error = (await whatDied(conn, scenario).catch(() => null)) ?? error;
  } finally {
    timers.forEach(clearTimeout);
    load?.stop();
    // Wait for the load to wind down (k6 in a container removes itself), also on error or Ctrl-C.
    await loadDone.catch(() => undefined);
    for (const [fault, spec] of active) {
      await fault.clear().catch(() => undefined);
      timeline.record({ kind: 'fault-end', fault: spec.type, service: spec.service, id: fault.id, reason: 'scenario-end' });
    }
    await Promise.all(stops.map((s) => s.stop()));
    await uninstallRules?.().catch(() => undefined);
    if (timeline.events.length > 0) timeline.record({ kind: 'scenario-end' });
  }

  const primary = primaryAlert(scenario);
  const context = detectionContext(scenario, historyAtStart);
  const boundsOf = (e: { alert: NameMatcher; labels: Record<string, string> }) => detectionBounds(options.detection, e.alert, e.labels, context);
  const bounds = primary ? boundsOf(primary) : null;
  const expectations = error ? [] : [...evaluateExpectations(scenario, timeline.events, boundsOf), ...targetChecks(scenario, timeline)];
  const result: ScenarioResult = {
    name: scenario.name,
    file: scenario.file,
    ...(scenario.description ? { description: scenario.description } : {}),
    outcome: error ? (error.code === 'COMPONENT_UNAVAILABLE' ? 'skipped' : 'errored') : expectations.every((e) => e.passed) ? 'passed' : 'failed',
    targets: scenario.targets,
    metrics: computeMetrics(scenario, timeline.events, bounds),
    expectations,
    timeline: timeline.events,
    durationSeconds: Math.round((performance.now() - started) / 10) / 100,
    ...(conn.runtime === 'attached' ? { backgroundAlerts: backgroundAlerts(timeline.events) } : {}),
    ...(loadSummary ? { load: { sent: loadSummary.sent, failed: loadSummary.failed, rate: scenario.load.rate, latencyMs: loadSummary.latencyMs } } : {}),
    ...(error ? { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } } : {}),
  };
  return result;
}

/**
 * A scenario whose expectations need an optional component (Loki, Tempo, LocalStack) that is not
 * ready here is skipped before it starts, naming the component, why, and how to get it: it must
 * not pass (or fail) for lack of data, and an optional part the user could not have (an image
 * that cannot be pulled, a binary not installed, `--without`) is no failure of the monitoring.
 */
export function checkBackends(scenario: Scenario, components: readonly ComponentStatus[], runtime: string): void {
  const needed = [...new Set(scenario.expectations.flatMap(backendsOf))];
  const problems: { name: string; text: string; hint: string }[] = [];
  for (const name of needed) {
    const c = components.find((x) => x.name === name);
    if (c?.state === 'ready' && c.url) continue;
    const kinds = [...new Set(scenario.expectations.filter((e) => backendsOf(e).includes(name)).map((e) => e.kind))].join(', ');
    // The component's own hint says how to get it here (docker pull, --without); else how to install it.
    const hint = c?.hint ?? findStackComponent(name)?.installHint ?? '';
    const state = c ? c.state : 'not part of this sandbox';
    const reason = c?.reason ?? (c ? `its state is ${c.state}` : `the ${runtime} runtime does not run it`);
    problems.push({
      name,
      text: `needs ${name} (for its ${kinds} expectation${kinds.includes(',') ? 's' : ''}), which is ${state} here: ${reason}`,
      hint: runtime === 'attached' && name !== 'localstack' ? `give --${name}-url with --attach, or run without --attach` : hint,
    });
  }
  if (problems.length === 0) return;
  throw new SandboxError('COMPONENT_UNAVAILABLE', `scenario ${scenario.name} ${problems.map((p) => p.text).join('; and ')}`, {
    hint: [...new Set(problems.map((p) => p.hint))].join('; '),
  });
}

/**
 * When a scenario ends in an error, whether the sandbox itself died under it: its host process
 * (the control API no longer answers) or a stack component or platform process it needs
 * (Prometheus' container exited, the sink crashed). That, with where its log is, is the error
 * then, rather than whatever request failed first.
 */
export async function whatDied(conn: SandboxConnection, scenario: Scenario): Promise<SandboxError | null> {
  let components: readonly ComponentStatus[];
  try {
    components = (await conn.status()).components;
  } catch {
    const where = conn.stateDir ? ` (its log: ${conn.stateDir}/logs/host.log, or the terminal that ran it)` : '';
    return new SandboxError('SANDBOX_DIED', `the sandbox host stopped answering during scenario ${scenario.name}: its control API ${conn.controlUrl} is gone${where}`, {
      hint: '`npx sandbox down` reaps what it left behind (processes and containers); then start it again',
    });
  }
  const needed = new Set(['prometheus', 'alertmanager', 'notification-sink', 'remediation-controller']);
  const dead = components.filter((c) => needed.has(c.name) && (c.state === 'failed' || c.state === 'stopped'));
  if (dead.length === 0) return null;
  return new SandboxError('COMPONENT_DIED', `scenario ${scenario.name}: ${dead.map((c) => `${c.name} died (${c.reason ?? c.state})`).join('; ')}`, {
    hint: dead.map((c) => c.hint ?? `\`npx sandbox logs ${c.name}\``).join('; '),
  });
}

async function injectFault(
  conn: SandboxConnection,
  fault: FaultSpec,
  timeline: TimelineRecorder,
  active: Map<ActiveFault, FaultSpec>,
  timers: NodeJS.Timeout[],
  stops: { stop(): Promise<void> }[],
): Promise<void> {
  const sentAt = Date.now();
  const handle = await injectorFor(fault.type).inject(conn, {
    type: fault.type,
    service: fault.service,
    params: fault.params,
    durationSeconds: fault.durationSeconds,
  });
  active.set(handle, fault);
  const startEvent = timeline.record({ kind: 'fault-start', fault: fault.type, service: fault.service, id: handle.id, params: fault.params }, sentAt);
  if (fault.durationSeconds !== null) {
    timers.push(
      setTimeout(() => {
        if (!active.delete(handle)) return;
        void handle.clear();
        timeline.record({ kind: 'fault-end', fault: fault.type, service: fault.service, id: handle.id, reason: 'expired' });
      }, fault.durationSeconds * 1000),
    );
  }
  if (fault.type === 'crash') {
    // A crash ends when the process runs again (remediation or operator): on that event, recorded
    // after it (not inside the recorder's call), at its time.
    const onRestart = (e: TimelineEvent) => {
      if (e.kind !== 'process-start' || e.service !== fault.service || e.t <= startEvent.t || !active.delete(handle)) return;
      unsubscribe();
      queueMicrotask(() => timeline.record({ kind: 'fault-end', fault: fault.type, service: fault.service, id: handle.id, reason: 'remediated' }, Date.parse(e.at)));
    };
    const unsubscribe = timeline.subscribe(onRestart);
    // A restart recorded before this subscription (its event's time may precede the fault's record).
    timeline.events.filter((e) => e.kind === 'process-start').forEach(onRestart);
    stops.push({ stop: async () => unsubscribe() });
  }
}

/** Long enough for the load and for every expectation's deadline after the first fault. */
function observationWindow(scenario: Scenario): number {
  const firstFault = Math.min(...scenario.faults.map((f) => f.atSeconds), Infinity);
  const origin = Number.isFinite(firstFault) ? firstFault : 0;
  const deadlines = scenario.expectations.map((e) => ('withinSeconds' in e && e.withinSeconds !== null ? origin + e.withinSeconds : 0));
  const targets = [scenario.targets.mttdSeconds, scenario.targets.mttrSeconds].map((t) => (t === null ? 0 : origin + t));
  return Math.max(scenario.load.durationSeconds, ...deadlines, ...targets) + 0.5;
}

/**
 * Stop early once every expectation holds and nothing is left to watch for; a scenario that
 * asserts noOtherAlerts must run its whole length. A scenario without faults (traffic-drop:
 * the load itself changes) settles the same way: its `within`s count from the start.
 */
function allSettled(scenario: Scenario, timeline: TimelineRecorder): boolean {
  if (scenario.expectations.some((e) => e.kind === 'noOtherAlerts' && e.enabled)) return false;
  const results = evaluateExpectations(scenario, timeline.events);
  return results.length > 0 && results.every((r) => r.passed) && targetChecks(scenario, timeline).every((r) => r.passed);
}

/** The scenario's MTTD and MTTR targets, judged like expectations. */
function targetChecks(scenario: Scenario, timeline: TimelineRecorder): ExpectationResult[] {
  const m = computeMetrics(scenario, timeline.events, null);
  const out: ExpectationResult[] = [];
  const check = (name: string, observed: number | null, target: number | null) => {
    if (target === null) return;
    const passed = observed !== null && observed <= target;
    out.push({
      kind: 'target',
      name,
      passed,
      observedSeconds: observed,
      withinSeconds: target,
      message: observed === null ? `${name} target ${target}s: not measured (the alert never ${name === 'MTTD' ? 'fired' : 'resolved'})` : `${name} ${observed}s ${passed ? '≤' : '>'} target ${target}s`,
    });
  };
  check('MTTD', m.mttdSeconds, scenario.targets.mttdSeconds);
  check('MTTR', m.mttrSeconds, scenario.targets.mttrSeconds);
  return out;
}

/**
 * Resolves at the observation window's end, when the signal aborts, when `end()` is called, or
 * at the first recorded event after which every expectation holds (allSettled).
 */
function untilSettled(scenario: Scenario, timeline: TimelineRecorder, windowEnd: number, signal?: AbortSignal): { promise: Promise<void>; end(): void } {
  let end = () => undefined as void;
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(() => end(), Math.max(0, (windowEnd - timeline.now()) * 1000));
    const unsubscribe = timeline.subscribe(() => {
      if (allSettled(scenario, timeline)) end();
    });
    end = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', end);
      resolve();
    };
    signal?.addEventListener('abort', end, { once: true });
    if (signal?.aborted) end();
  });
  return { promise, end: () => end() };
}
