import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { authHeaders } from '../core/control-guard.ts';
import { RUN_LABEL } from '../core/labels.ts';
import { ControlApiError } from '../core/control-client.ts';
import { SandboxError } from '../core/errors.ts';
import { Wait, waitFor } from '../core/wait.ts';
import { writeFileAtomic } from '../runtime/config/render.ts';
import { renderRunbookLinks } from '../runtime/config/runbook-links.ts';
import type { SandboxConnection } from '../runtime/connection.ts';
import { sampleServiceNames, scalableServiceNames } from '../stack/catalog.ts';
import { isSandboxAlert, sandboxScope } from './attached/alert-scope.ts';
import { fetchAlerts } from './observers/alerts.ts';

/**
 * Bring the sandbox back to a clean state before a scenario: faults cleared, every sample
 * service up, Prometheus' history forgotten, no alert active, receivers' records emptied. A
 * sandbox that cannot get clean errors the scenario instead of letting one failure cascade into
 * the next.
 *
 * Forgetting history is what makes scenarios independent: slow SLO burn windows, anomaly
 * baselines and traffic averages would otherwise carry one scenario's incident into the next
 * (a 1d/2h burn pair lasts 12 minutes even at the sandbox's 120x time scale).
 *
 * `run` is the label of the scenario run that follows (RUN_LABEL): from here on the controller
 * acts only on alerts of that run, so late notifications of the run before are told apart by
 * their label instead of being waited out. Returns when (performance.now()) Prometheus' history
 * was forgotten; null on an attached stack, whose history is kept.
 */
export async function resetSandbox(conn: SandboxConnection, options: { remediation: boolean; run: string; cleanTimeoutMs?: number }): Promise<number | null> {
  const status = await conn.status();
  const byName = new Map(status.components.map((c) => [c.name, c]));
  const headers = authHeaders(conn.chaosToken);
  for (const name of sampleServiceNames()) {
    const c = byName.get(name);
    await conn.control.setRestartPolicy(name, { policy: 'never' }).catch(() => undefined);
    if (c?.state !== 'ready') {
      await conn.control.restart(name).catch((e: Error) => {
        throw new SandboxError('COMPONENT_DIED', `${name} is ${c?.state ?? 'missing'} and could not be restarted: ${e instanceof ControlApiError ? e.reason : e.message}`);
      });
    } else if (c.url) {
      await fetch(`${c.url}/chaos/faults`, { method: 'DELETE', headers, signal: AbortSignal.timeout(3000) }).then((r) => r.body?.cancel());
    }
  }
  // A scale-out never leaks into the next scenario: every scalable service back to one instance.
  // Done once every sample service is ready, so the gateway takes the one-instance upstream list.
  for (const name of scalableServiceNames()) await scaleToOne(conn, name);
  const controller = byName.get('remediation-controller')?.url;
  const sink = byName.get('notification-sink')?.url;
  const prometheus = byName.get('prometheus')?.url;
  if (!prometheus) throw new SandboxError('COMPONENT_DIED', 'the sandbox has no Prometheus');
  // While alerts resolve, the controller must not act on them.
  if (controller) await setMode(controller, { dryRun: true }, conn.chaosToken);
  // The gateway's circuit breaker back to automatic and closed: one left open (pinned by a
  // playbook, or tripped by the last scenario's failures) would answer 503s into the next run.
  const gateway = byName.get('api-gateway')?.url;
  if (gateway) {
    await fetch(`${gateway}/admin/circuit-breaker`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'auto' }),
      signal: AbortSignal.timeout(3000),
    }).then((r) => r.body?.cancel());
  }
  // Let in-flight requests of the last run drain before the history they leave is forgotten.
  await new Promise((r) => setTimeout(r, 1000));
  // An attached Prometheus is the team's: its history is not ours to delete.
  let forgotAt: number | null = null;
  if (conn.runtime !== 'attached') {
    await forgetHistory(conn, byName.get('alertmanager')?.url);
    // The restarted Prometheus is ready (its TSDB empty) when the control API answers.
    forgotAt = performance.now();
  }

  const deadline = Date.now() + (options.cleanTimeoutMs ?? 30_000);
  // An attached Prometheus evaluates the team's rules too: only alerts about the sandbox's
  // services must clear; the rest (a Watchdog, the team's own systems) are background.
  const scope = conn.runtime === 'attached' && conn.stateDir ? sandboxScope(conn.stateDir) : null;
  let active: string[] = [];
  for (;;) {
    active = (await fetchAlerts(prometheus))
      .filter((a) => scope === null || isSandboxAlert(a.labels, scope))
      .map((a) => `${a.labels.alertname}${a.labels.service ? `{service="${a.labels.service}"}` : ''} (${a.state})`);
    if (active.length === 0) break;
    if (Date.now() > deadline) {
      throw new SandboxError('SANDBOX_NOT_CLEAN', `the sandbox did not return to a clean state: alerts still active: ${active.join(', ')}`, {
        hint: scope
          ? 'these alerts are about the sandbox’s services on your Prometheus and must resolve before a scenario can be judged: an earlier scenario left them, or your rules hold them longer (their `for` and range windows); `npx sandbox status` shows the services'
          : 'an earlier scenario left something broken; `npx sandbox status` shows what, `npx sandbox down` starts afresh',
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Resolved notifications of the previous run still reach the receivers for a group interval
  // (alerts resolved at its end, and those resolved above). They carry that run's label: the
  // controller ignores them from here on, and the scenario's reader of the sink skips them.
  if (controller) {
    await fetch(`${controller}/actions`, { method: 'DELETE', headers }).then((r) => r.body?.cancel());
    await setMode(controller, { dryRun: !options.remediation, run: options.run }, conn.chaosToken);
  }
  if (sink) await fetch(`${sink}/deliveries`, { method: 'DELETE', headers }).then((r) => r.body?.cancel());
  return forgotAt;
}

/**
 * Waits until the restarted Prometheus has scraped every target it knows at least once, the
 * sample services among them, and returns when (performance.now()). History starts there, not at
 * the restart: Prometheus hands discovered targets to its scrape loops on a 5 s tick, so a fresh
 * process takes about 6 s to take its first sample, and a fault injected before that would have
 * no "before" to be compared with (measured: ModelVersionChanged missed a deploy 5 s after a
 * reset). Waiting here makes the lead-in a scenario gives (`at:`) the history its rules get.
 */
export async function waitForFirstScrape(prometheusUrl: string, timeoutMs = 20_000): Promise<number> {
  interface Target {
    labels: Record<string, string>;
    health: 'up' | 'down' | 'unknown';
  }
  let seen = 'no answer yet';
  await waitFor(
    Wait.until(
      'Prometheus to scrape every target once after the reset',
      async () => {
        const res = await fetch(`${prometheusUrl}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) throw new Error(`targets API: HTTP ${res.status}`);
        const targets = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        const waiting = targets.filter((t) => t.health === 'unknown').map((t) => `${t.labels.job}/${t.labels.instance}`);
        seen = targets.length === 0 ? 'no targets discovered yet' : `${waiting.length} of ${targets.length} not scraped yet (${waiting.slice(0, 3).join(', ')})`;
        return targets.some((t) => t.labels.job === 'sample-services') && waiting.length === 0;
      },
      () => seen,
    ),
    {
      timeoutMs,
      onTimeout: (observed) =>
        new SandboxError('SANDBOX_NOT_CLEAN', `Prometheus did not scrape its targets within ${timeoutMs / 1000}s of the reset: ${observed}`, {
          hint: '`npx sandbox logs prometheus` shows why; `npx sandbox status` shows the targets',
        }),
    },
  );
  return performance.now();
}

/**
 * Back to one instance (the control API stops the replicas, drops their scrape targets and
 * gives the gateway the primary alone as its upstream list); fails when that did not happen.
 */
export async function scaleToOne(conn: Pick<SandboxConnection, 'control'>, service: string): Promise<void> {
  const reply = (await conn.control.scale(service, 1).catch((e: Error) => {
    throw new SandboxError('COMPONENT_DIED', `${service} could not be scaled back to one instance: ${e.message}`);
  })) as { routing?: { via: string; error?: string }[] };
  const failed = (reply.routing ?? []).filter((r) => r.error);
  if (failed.length > 0) {
    throw new SandboxError('COMPONENT_DIED', `${service} is back to one instance, but ${failed.map((r) => `${r.via} was not told (${r.error})`).join('; ')}`);
  }
}

async function setMode(controller: string, mode: { dryRun: boolean; run?: string }, token: string): Promise<void> {
  const res = await fetch(`${controller}/mode`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...authHeaders(token) },
    body: JSON.stringify(mode),
  });
  if (!res.ok) throw new SandboxError('COMPONENT_DIED', `the remediation controller refused its mode ${JSON.stringify(mode)}: HTTP ${res.status} ${(await res.text()).trim()}`);
  await res.body?.cancel();
}

/**
 * Forget the sandbox's own Prometheus history: the control API restarts it on an empty TSDB
 * (Prometheus runs without its admin API, so no web page can wipe it). Alerts the old process
 * had sent stay active in Alertmanager until they time out, and would be notified again into
 * the next scenario: they are resolved there, as Prometheus itself resolves alerts (endsAt now).
 */
async function forgetHistory(conn: SandboxConnection, alertmanager: string | undefined): Promise<void> {
  await conn.control.resetStack('prometheus').catch((e: Error) => {
    throw new SandboxError('COMPONENT_DIED', `Prometheus could not be reset to an empty history: ${e instanceof ControlApiError && e.status !== null ? `HTTP ${e.status} ${e.reason}` : e.message}`, {
      hint: '`npx sandbox logs prometheus` shows why; `npx sandbox down` and `npm run sandbox` start afresh',
    });
  });
  if (alertmanager) await resolveLeftoverAlerts(alertmanager, conn.alertmanagerHeaders);
}

/** Every alert active in Alertmanager, posted back with endsAt now: resolved, as Prometheus would have. */
async function resolveLeftoverAlerts(alertmanager: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(`${alertmanager}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`, { headers, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new SandboxError('COMPONENT_DIED', `Alertmanager did not list its alerts: HTTP ${res.status} ${(await res.text()).trim()}`);
  const active = (await res.json()) as { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; generatorURL?: string }[];
  if (active.length === 0) return;
  const now = new Date().toISOString();
  const post = await fetch(`${alertmanager}/api/v2/alerts`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(active.map((a) => ({ labels: a.labels, annotations: a.annotations ?? {}, ...(a.startsAt ? { startsAt: a.startsAt } : {}), endsAt: now, ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}) }))),
    signal: AbortSignal.timeout(5000),
  });
  if (!post.ok) throw new SandboxError('COMPONENT_DIED', `Alertmanager did not take the resolved alerts: HTTP ${post.status} ${(await post.text()).trim()}`);
  await post.body?.cancel();
}

/**
 * Per-run Prometheus configuration: the scenario's own rule files, and an external label naming
 * this run. Prometheus attaches external labels to the alerts it sends, and alertmanager.yml
 * groups by `sandbox_run`, so every run starts fresh Alertmanager groups: an alert that joined
 * a group left over from the previous scenario would wait a group_interval instead of
 * group_wait, and notification times would depend on what ran before. Returns the undo.
 */
export async function installRunConfig(
  conn: SandboxConnection,
  files: readonly string[],
  runLabel: string,
): Promise<() => Promise<void>> {
  const dir = join(conn.prometheusConfigDir, 'scenario-rules');
  const clear = () => {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
  };
  clear();
  copyScenarioRules(files, dir, conn.controlUrl);
  setExternalLabel(join(conn.prometheusConfigDir, 'prometheus.yml'), RUN_LABEL, runLabel);
  await reload(conn);
  if (files.length === 0) return async () => undefined;
  return async () => {
    clear();
    await reload(conn).catch(() => undefined);
  };
}

/**
 * A scenario's rule files as Prometheus loads them: numbered in the scenario's order, with
 * runbook links written for the default control port moved to this sandbox's (runbook-links.ts).
 */
export function copyScenarioRules(files: readonly string[], dir: string, controlUrl: string): void {
  files.forEach((f, i) => writeFileAtomic(join(dir, `${i}-${basename(f).replace(/\.ya?ml$/, '')}.yml`), renderRunbookLinks(readFileSync(f, 'utf8'), controlUrl)));
}


function setExternalLabel(file: string, name: string, value: string): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['global', 'external_labels', name], value);
  writeFileAtomic(file, doc.toString());
}

/** Prometheus re-reads prometheus.yml and the rule files (SIGHUP from the runtime that owns it, via the control API). */
async function reload(conn: SandboxConnection): Promise<void> {
  await conn.control.reloadStack('prometheus').catch((e: Error) => {
    throw new SandboxError('INVALID_CONFIG', `Prometheus rejected the scenario's configuration (its rule files): ${e instanceof ControlApiError ? e.reason : e.message}`, {
      hint: 'check them with `promtool check rules <file>`',
    });
  });
}
