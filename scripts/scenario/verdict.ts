import type { BackgroundAlert, ExpectationResult, ScenarioMetrics } from './result.ts';
import { matcherText, matchesName, type Expectation, type NameMatcher, type Scenario } from './model.ts';
import type { Labels } from '../core/labels.ts';
import type { EventOf, TimelineEvent } from './timeline.ts';

/**
 * Pure functions of the timeline: expectations, MTTD, time to notify, time to remediate, MTTR.
 * Every time counts from the first fault's start (the scenario start when there is no fault).
 */
export function originSeconds(timeline: readonly TimelineEvent[]): number {
  return timeline.find((e) => e.kind === 'fault-start')?.t ?? 0;
}

const of = <K extends TimelineEvent['kind']>(timeline: readonly TimelineEvent[], kind: K) =>
  timeline.filter((e): e is EventOf<K> => e.kind === kind);

function labelsMatch(want: Labels, have: Labels): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

const round = (s: number) => Math.round(s * 1000) / 1000;

export function firstFiring(timeline: readonly TimelineEvent[], alert: NameMatcher, labels: Labels = {}): EventOf<'alert-firing'> | undefined {
  const t0 = originSeconds(timeline);
  return of(timeline, 'alert-firing').find((e) => e.t >= t0 && matchesName(alert, e.alert) && labelsMatch(labels, e.labels));
}

export function firstResolved(timeline: readonly TimelineEvent[], alert: NameMatcher, labels: Labels = {}): EventOf<'alert-resolved'> | undefined {
  const firing = firstFiring(timeline, alert, labels);
  if (!firing) return undefined;
  return of(timeline, 'alert-resolved').find((e) => e.t >= firing.t && matchesName(alert, e.alert) && labelsMatch(labels, e.labels));
}

export function firstNotification(timeline: readonly TimelineEvent[], alert: NameMatcher, receiver?: string): EventOf<'notification'> | undefined {
  const t0 = originSeconds(timeline);
  return of(timeline, 'notification').find(
    (e) => e.t >= t0 && e.status === 'firing' && matchesName(alert, e.alert) && (receiver === undefined || e.receiver === receiver),
  );
}

export function firstRemediation(timeline: readonly TimelineEvent[], action: string, service: string | null): EventOf<'remediation'> | undefined {
  const t0 = originSeconds(timeline);
  return of(timeline, 'remediation').find((e) => e.t >= t0 && e.action === action && (service === null || e.service === service) && e.result === 'succeeded');
}

/** Alerts that were not the scenario's to judge (attached stacks), as the timeline recorded them. */
export function backgroundAlerts(timeline: readonly TimelineEvent[]): BackgroundAlert[] {
  return of(timeline, 'background-alert').map((e) => ({ alert: e.alert, labels: e.labels, state: e.state, reason: e.reason, firstSeenSeconds: e.t }));
}

/** The alert the scenario is about: the first `alert` expectation. */
export function primaryAlert(scenario: Scenario): Extract<Expectation, { kind: 'alert' }> | undefined {
  return scenario.expectations.find((e): e is Extract<Expectation, { kind: 'alert' }> => e.kind === 'alert');
}

export function computeMetrics(
  scenario: Scenario,
  timeline: readonly TimelineEvent[],
  /** detectionBounds of the primary alert; `notification` bounds its time to notify. */
  bounds: { floor: number; ceiling: number; notification?: { floor: number; ceiling: number } | null } | null,
): ScenarioMetrics {
  const t0 = originSeconds(timeline);
  const primary = primaryAlert(scenario);
  const since = (e: { t: number } | undefined) => (e ? round(e.t - t0) : null);
  const remediation = scenario.expectations.find((e) => e.kind === 'remediation');
  return {
    mttdSeconds: primary ? since(firstFiring(timeline, primary.alert, primary.labels)) : null,
    timeToNotifySeconds: primary ? since(firstNotification(timeline, primary.alert)) : null,
    timeToRemediateSeconds:
      remediation?.kind === 'remediation' ? since(firstRemediation(timeline, remediation.action, remediation.service)) : null,
    mttrSeconds: primary ? since(firstResolved(timeline, primary.alert, primary.labels)) : null,
    detectionFloorSeconds: bounds?.floor ?? null,
    detectionCeilingSeconds: bounds?.ceiling ?? null,
    mttdOfCeiling: ofCeiling(primary ? since(firstFiring(timeline, primary.alert, primary.labels)) : null, bounds?.ceiling ?? null),
    notificationFloorSeconds: bounds?.notification?.floor ?? null,
    notificationCeilingSeconds: bounds?.notification?.ceiling ?? null,
  };
}

/** observed / ceiling, to 2 decimals; null when either is missing. */
export function ofCeiling(observed: number | null, ceiling: number | null): number | null {
  return observed === null || ceiling === null || ceiling <= 0 ? null : Math.round((observed / ceiling) * 100) / 100;
}

/**
 * `boundsOf`: the detection model's bounds of an alert expectation (runner.ts), reported with
 * its result as floor, ceiling and the observed time as a fraction of the ceiling.
 */
export function evaluateExpectations(
  scenario: Scenario,
  timeline: readonly TimelineEvent[],
  boundsOf?: (e: Extract<Expectation, { kind: 'alert' }>) => { floor: number; ceiling: number } | null,
): ExpectationResult[] {
  const t0 = originSeconds(timeline);
  const since = (e: { t: number } | undefined) => (e ? round(e.t - t0) : null);
  const judge = (kind: ExpectationResult['kind'], name: string, observed: number | null, within: number | null, what: string, missing: string): ExpectationResult => {
    const passed = observed !== null && (within === null || observed <= within);
    const message =
      observed === null
        ? `expected ${what}${within !== null ? ` within ${within}s` : ''}, but ${missing}`
        : passed
          ? `${what} after ${observed}s${within !== null ? ` (within ${within}s)` : ''}`
          : `expected ${what} within ${within}s, observed after ${observed}s`;
    return { kind, name, passed, observedSeconds: observed, withinSeconds: within, message };
  };

  const results: ExpectationResult[] = [];
  for (const exp of scenario.expectations) {
    switch (exp.kind) {
      case 'alert': {
        const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
        const name = matcherText(exp.alert);
        const labelText = Object.keys(exp.labels).length ? ` ${JSON.stringify(exp.labels)}` : '';
        const result = judge('alert', name, since(firstFiring(timeline, exp.alert, exp.labels)), within, `alert ${name}${labelText} firing`, firingSummary(timeline, exp.alert, exp.labels));
        const b = boundsOf?.(exp);
        results.push(b ? { ...result, floorSeconds: b.floor, ceilingSeconds: b.ceiling, ofCeiling: ofCeiling(result.observedSeconds, b.ceiling) } : result);
        break;
      }
      case 'notification': {
        const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
        const name = matcherText(exp.alert);
        const other = of(timeline, 'notification').filter((e) => matchesName(exp.alert, e.alert));
        // Every delivery named with when and what it was, so the message never contradicts the timeline.
        const deliveries = [...new Set(other.map((e) => `${e.receiver} (${e.status}${e.t < t0 ? `, ${when(e.t, t0)}` : ''})`))];
        const missing = other.length
          ? `it reached only ${deliveries.join(', ')}`
          : `no receiver got ${name} (deliveries seen: ${of(timeline, 'notification').length})`;
        results.push(judge('notification', `${exp.receiver}: ${name}`, since(firstNotification(timeline, exp.alert, exp.receiver)), within, `${exp.receiver} to receive ${name}`, missing));
        break;
      }
      case 'remediation': {
        const within = exp.withinSeconds ?? scenario.targets.mttrSeconds;
        const target = exp.service ? `${exp.action} ${exp.service}` : exp.action;
        const attempts = of(timeline, 'remediation').filter((e) => e.action === exp.action && (exp.service === null || e.service === exp.service));
        const missing = attempts.length
          ? `the controller recorded only ${attempts.map((a) => `${a.action} ${a.service}: ${a.result} ${when(a.t, t0)}`).join('; ')}`
          : `the remediation controller recorded no ${exp.action} action`;
        results.push(judge('remediation', target, since(firstRemediation(timeline, exp.action, exp.service)), within, `remediation ${target} to succeed`, missing));
        break;
      }
      case 'resolved': {
        const within = exp.withinSeconds ?? scenario.targets.mttrSeconds;
        const name = matcherText(exp.alert);
        const fired = firstFiring(timeline, exp.alert);
        const before = of(timeline, 'alert-firing').find((e) => e.t < t0 && matchesName(exp.alert, e.alert));
        const missing = fired ? 'it was still firing when the scenario ended' : before ? `it fired only ${when(before.t, t0)}` : 'it never fired';
        results.push(judge('resolved', name, since(firstResolved(timeline, exp.alert)), within, `alert ${name} resolved`, missing));
        break;
      }
      case 'slo': {
        const reading = of(timeline, 'slo-budget').find((e) => e.slo === exp.slo);
        const bound = `${Math.round(exp.maxBudgetBurned * 1000) / 10}%`;
        const burned = reading ? `${Math.round(reading.budgetBurned * 1000) / 10}%` : null;
        results.push({
          kind: 'slo',
          name: exp.slo,
          passed: reading !== undefined && reading.budgetBurned <= exp.maxBudgetBurned,
          observedSeconds: null,
          withinSeconds: null,
          message: !reading
            ? `expected SLO ${exp.slo} to burn at most ${bound} of its error budget, but it could not be measured`
            : reading.budgetBurned <= exp.maxBudgetBurned
              ? `SLO ${exp.slo} burned ${burned} of its error budget (at most ${bound})`
              : `expected SLO ${exp.slo} to burn at most ${bound} of its error budget, but it burned ${burned} (error ratio ${(reading.errorRatio * 100).toFixed(2)}%)`,
        });
        break;
      }
      case 'logs': {
        const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
        const seen = of(timeline, 'log-match').filter((e) => e.t >= t0 && e.query === exp.query);
        const enough = seen.find((e) => e.lines >= exp.min);
        const most = Math.max(0, ...seen.map((e) => e.lines));
        const refused = of(timeline, 'query-error').find((e) => e.backend === 'loki' && e.query === exp.query);
        const stale = staleNote(timeline, 'loki', exp.query, 'and ');
        const missing = refused
          ? `Loki refused the query: ${refused.message}`
          : most > 0
            ? `Loki returned only ${most} matching line${most === 1 ? '' : 's'} since the scenario started${stale}`
            : `Loki returned no matching line since the scenario started${stale}`;
        const what = `${exp.min > 1 ? `at least ${exp.min} log lines` : 'a log line'} matching ${exp.query}`;
        results.push(judge('logs', exp.query, since(enough), within, what, missing));
        break;
      }
      case 'trace': {
        const within = exp.withinSeconds ?? scenario.targets.mttdSeconds;
        const found = of(timeline, 'trace-found').find((e) => e.t >= t0 && e.query === exp.query);
        const refused = of(timeline, 'query-error').find((e) => e.backend === 'tempo' && e.query === exp.query);
        const missing = refused
          ? `Tempo refused the search: ${refused.message}`
          : `Tempo found no such trace since the scenario started${staleNote(timeline, 'tempo', exp.query, 'it returned ')}`;
        results.push(judge('trace', exp.query, since(found), within, `a trace matching ${exp.query}`, missing));
        break;
      }
      case 'correlation': {
        const within = exp.withinSeconds;
        const links = (['exemplars', 'logs'] as const).map((link) => {
          const events = of(timeline, 'correlation-link').filter((e) => e.link === link && e.t >= t0);
          return { link, ok: events.find((e) => e.resolved), last: events.at(-1) };
        });
        const label = { exemplars: 'metrics → traces (Prometheus exemplar trace_id in Tempo)', logs: 'logs → traces (Loki line trace_id in Tempo)' } as const;
        const failed = links.filter((l) => !l.ok || (within !== null && l.ok.t - t0 > within));
        const observed = failed.length === 0 ? round(Math.max(...links.map((l) => l.ok!.t)) - t0) : null;
        const message =
          failed.length === 0
            ? `exemplar trace ${links[0]!.ok!.traceId} and log line trace ${links[1]!.ok!.traceId} resolve in Tempo after ${observed}s${within !== null ? ` (within ${within}s)` : ''}`
            : failed
                .map((l) => `${label[l.link]} failed: ${l.ok ? `resolved only after ${round(l.ok.t - t0)}s (within ${within}s)` : (l.last?.reason ?? 'never checked')}`)
                .join('; ');
        results.push({
          kind: 'correlation',
          name: failed.length === 0 ? 'metrics, logs → traces' : failed.map((l) => l.link).join(', '),
          passed: failed.length === 0,
          observedSeconds: observed,
          withinSeconds: within,
          message,
        });
        break;
      }
      case 'noOtherAlerts': {
        if (!exp.enabled) break;
        const named = scenario.expectations.flatMap((e) => ('alert' in e ? [e.alert] : []));
        const unexpected = [...new Set(of(timeline, 'alert-firing').filter((e) => !named.some((m) => matchesName(m, e.alert))).map((e) => e.alert))];
        results.push({
          kind: 'noOtherAlerts',
          name: 'no other alerts',
          passed: unexpected.length === 0,
          observedSeconds: null,
          withinSeconds: null,
          message: unexpected.length === 0 ? 'no alert fired beyond the expected ones' : `expected no other alerts, but ${unexpected.join(', ')} fired`,
        });
        break;
      }
    }
  }
  return results;
}

/** " (it returned 2 from before the start, newest at …: not counted)" from a stale-data event, or ''. */
function staleNote(timeline: readonly TimelineEvent[], backend: 'loki' | 'tempo', query: string, lead: string): string {
  const e = of(timeline, 'stale-data').find((x) => x.backend === backend && x.query === query);
  return e ? ` (${lead}${e.count} from before the start${e.newestAt ? `, newest at ${e.newestAt}` : ''}: not counted)` : '';
}

/** "at 4.2s", or "3.1s before the first fault (not counted)": where an event sits against the origin. */
function when(t: number, t0: number): string {
  return t < t0 ? `${round(t0 - t)}s before the first fault (not counted)` : `at ${round(t - t0)}s`;
}

/** Why an expected alert was not seen firing, naming what did fire and when, so nothing reads as a contradiction. */
function firingSummary(timeline: readonly TimelineEvent[], alert: NameMatcher, labels: Labels): string {
  const t0 = originSeconds(timeline);
  const firing = of(timeline, 'alert-firing');
  const same = firing.filter((e) => matchesName(alert, e.alert));
  const early = same.find((e) => e.t < t0 && labelsMatch(labels, e.labels));
  if (early) return `it fired only ${when(early.t, t0)}`;
  const otherLabels = same.filter((e) => e.t >= t0);
  if (otherLabels.length > 0) {
    const shown = [...new Set(otherLabels.map((e) => JSON.stringify(Object.fromEntries(Object.keys(labels).map((k) => [k, e.labels[k] ?? ''])))))];
    return `it fired only with other labels: ${shown.join(', ')}`;
  }
  const fired = [...new Set(firing.map((e) => e.alert))];
  const background = of(timeline, 'background-alert').length;
  const note = background > 0 ? `; ${background} background alert${background === 1 ? '' : 's'} not judged` : '';
  return fired.length ? `it never fired (alerts that fired: ${fired.join(', ')}${note})` : `no alert fired${note}`;
}
