import { parse } from 'yaml';
import { SandboxError } from '../../core/errors.ts';
import type { AlertmanagerRoute } from '../detection-bounds.ts';
import type { Scenario } from '../model.ts';

/**
 * Attached, notifications are observed only through the sandbox's notification sink (it records
 * what arrives at /webhook/<name>, /slack/<name> and /pagerduty/<name>/v2/enqueue, under <name>),
 * and remediation happens only when Alertmanager calls the controller's /alerts. Before anything
 * starts, every receiver a scenario names must deliver to the sink under that name, the
 * controller must be called where a scenario expects remediation, and a route must reach each.
 */

/** One receiver of an Alertmanager configuration and where it delivers. */
export interface ReceiverTargets {
  name: string;
  /** `<secret>` where Alertmanager masks the URL (Slack's api_url is a secret URL in 0.25). */
  urls: string[];
  /** Per URL (same order): where the Authorization that config sends comes from. */
  auth?: DeliveryAuth[];
}

/**
 * The credentials a receiver config sends (its http_config): none, a file Alertmanager reads on
 * every request, or a fixed value in the configuration (shown as `<secret>`).
 */
export type DeliveryAuth = { kind: 'none' } | { kind: 'file'; file: string } | { kind: 'inline' };

type ReceiverYaml = { name?: string } & Record<string, unknown>;

function deliveryAuth(config: Record<string, unknown>): DeliveryAuth {
  const http = (config.http_config ?? {}) as { authorization?: { credentials?: unknown; credentials_file?: unknown }; bearer_token?: unknown; bearer_token_file?: unknown };
  const file = http.authorization?.credentials_file ?? http.bearer_token_file;
  if (typeof file === 'string' && file !== '') return { kind: 'file', file };
  if (http.authorization?.credentials !== undefined || http.bearer_token !== undefined) return { kind: 'inline' };
  return { kind: 'none' };
}

/** Receivers of an alertmanager.yml (as /api/v2/status config.original shows it) with every URL they post to. */
export function alertmanagerReceivers(text: string): ReceiverTargets[] {
  const doc = parse(text) as { receivers?: ReceiverYaml[] } | null;
  return (doc?.receivers ?? []).map((r) => {
    const urls: string[] = [];
    const auth: DeliveryAuth[] = [];
    for (const [key, configs] of Object.entries(r)) {
      if (!key.endsWith('_configs') || !Array.isArray(configs)) continue;
      for (const c of configs as Record<string, unknown>[]) {
        for (const field of ['url', 'api_url', 'webhook_url']) {
          if (typeof c?.[field] !== 'string') continue;
          urls.push(c[field] as string);
          auth.push(deliveryAuth(c));
        }
      }
    }
    return { name: String(r.name ?? ''), urls, auth };
  });
}

const SINK_PATHS = [/^\/webhook\/([^/]+)\/?$/, /^\/slack\/([^/]+)\/?$/, /^\/pagerduty\/([^/]+)\/v2\/enqueue\/?$/];

/** The name the sink records a delivery to `url` under, and the port it goes to; null when it is not a sink path. */
function sinkTarget(url: string): { name: string; port: string } | null {
  if (!URL.canParse(url)) return null;
  const u = new URL(url);
  for (const re of SINK_PATHS) {
    const m = re.exec(u.pathname);
    if (m) return { name: decodeURIComponent(m[1]!), port: u.port || (u.protocol === 'https:' ? '443' : '80') };
  }
  return null;
}

/** For each receiver that delivers to the sink on `sinkPort`: the names the sink records. */
export function sinkNamesOf(receivers: readonly ReceiverTargets[], sinkPort: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of receivers) {
    const names = r.urls.map(sinkTarget).filter((t): t is { name: string; port: string } => t !== null && t.port === String(sinkPort)).map((t) => t.name);
    if (names.length > 0) out.set(r.name, [...new Set(names)]);
  }
  return out;
}

function callsController(url: string, controllerPort: number): boolean {
  return URL.canParse(url) && new URL(url).port === String(controllerPort) && /^\/alerts\/?$/.test(new URL(url).pathname);
}

function routedReceivers(route: AlertmanagerRoute): Set<string> {
  const out = new Set<string>([route.receiver]);
  for (const child of route.routes) for (const r of routedReceivers(child)) out.add(r);
  return out;
}

export interface SandboxEndpoints {
  sinkPort: number;
  controllerPort: number;
  /**
   * Where the sandbox writes its session token for the team's Alertmanager (attach/token): the
   * sink and the controller refuse deliveries without it. Given, every receiver a scenario relies
   * on must read its token from this file.
   */
  tokenFile?: string;
}

/** Why deliveries of `receiver` to `url` would be refused for want of the session token; null when they carry it. */
function tokenProblem(receiver: ReceiverTargets, url: string, what: string, tokenFile: string | undefined): string | null {
  if (tokenFile === undefined) return null;
  const auth = receiver.auth?.[receiver.urls.indexOf(url)] ?? { kind: 'none' };
  const fix = `add http_config: {authorization: {type: Bearer, credentials_file: ${tokenFile}}} to it`;
  if (auth.kind === 'none') return `receiver ${receiver.name} posts to the sandbox's ${what} without the session token, which refuses it (401); ${fix}`;
  if (auth.kind === 'inline') return `receiver ${receiver.name} sends a fixed token to the sandbox's ${what}, but the session token changes at every start; read it from the file instead: ${fix}`;
  if (auth.file !== tokenFile) return `receiver ${receiver.name} reads its token from ${auth.file}, but this sandbox writes it to ${tokenFile} (a different --state-dir?); ${fix}`;
  return null;
}

/**
 * Problems, each located at its expectation, with what to add: a receiver the scenario names
 * that does not deliver to the sink, no receiver calling the controller where remediation is
 * expected, or no route reaching them.
 */
export function attachedRoutingProblems(scenarios: readonly Scenario[], receivers: readonly ReceiverTargets[], tree: AlertmanagerRoute, at: SandboxEndpoints): string[] {
  const sinkUrl = (name: string) => `http://127.0.0.1:${at.sinkPort}/webhook/${name}`;
  const controllerUrl = `http://127.0.0.1:${at.controllerPort}/alerts`;
  const routed = routedReceivers(tree);
  const sinkNames = sinkNamesOf(receivers, at.sinkPort);
  const problems: string[] = [];
  for (const s of scenarios) {
    for (const [i, e] of s.expectations.entries()) {
      const where = `${s.locations?.expect[i] ?? s.file}: `;
      if (e.kind === 'notification') {
        const delivering = [...sinkNames].filter(([, names]) => names.includes(e.receiver)).map(([name]) => name);
        if (delivering.length === 0) {
          const same = receivers.find((r) => r.name === e.receiver);
          const elsewhere = receivers.flatMap((r) => r.urls.map(sinkTarget).filter((t) => t?.name === e.receiver).map((t) => `${r.name} (port ${t!.port})`));
          problems.push(
            where +
              (elsewhere.length > 0
                ? `receiver ${e.receiver}: ${elsewhere.join(', ')} deliver${elsewhere.length === 1 ? 's' : ''} to a sink path for it on another port, but this sandbox's notification sink listens on ${at.sinkPort} (a different --port-offset?)`
                : same
                  ? `receiver ${e.receiver} of your Alertmanager delivers to ${same.urls.join(', ') || 'nowhere'}, not to the sandbox's notification sink, and notifications are observed only there${same.urls.includes('<secret>') ? ' (Alertmanager hides that URL, so it cannot be checked)' : ''}`
                  : `no receiver of your Alertmanager delivers to the sandbox's notification sink as ${e.receiver} (its receivers: ${receivers.map((r) => r.name).join(', ') || 'none'})`) +
              `; add a receiver with webhook_configs url ${sinkUrl(e.receiver)}`,
          );
        } else if (!delivering.some((r) => routed.has(r))) {
          problems.push(`${where}receiver ${delivering.join(', ')} delivers to the sandbox's sink as ${e.receiver}, but no route of your Alertmanager sends alerts to it`);
        } else {
          for (const name of delivering.filter((r) => routed.has(r))) {
            const receiver = receivers.find((r) => r.name === name)!;
            for (const url of receiver.urls.filter((u) => sinkTarget(u)?.port === String(at.sinkPort) && sinkTarget(u)?.name === e.receiver)) {
              const problem = tokenProblem(receiver, url, 'notification sink', at.tokenFile);
              if (problem) problems.push(where + problem);
            }
          }
        }
      } else if (e.kind === 'remediation') {
        const calling = receivers.filter((r) => r.urls.some((u) => callsController(u, at.controllerPort))).map((r) => r.name);
        if (calling.length === 0) {
          problems.push(`${where}no receiver of your Alertmanager calls the remediation controller, so no ${e.action} can happen; add one with webhook_configs url ${controllerUrl}`);
        } else if (!calling.some((r) => routed.has(r))) {
          problems.push(`${where}receiver ${calling.join(', ')} calls the remediation controller, but no route of your Alertmanager sends alerts to it`);
        } else {
          for (const name of calling.filter((r) => routed.has(r))) {
            const receiver = receivers.find((r) => r.name === name)!;
            for (const url of receiver.urls.filter((u) => callsController(u, at.controllerPort))) {
              const problem = tokenProblem(receiver, url, 'remediation controller', at.tokenFile);
              if (problem) problems.push(where + problem);
            }
          }
        }
      }
    }
  }
  return [...new Set(problems)];
}

/** The configuration an Alertmanager loaded, as YAML (/api/v2/status, config.original). */
export async function alertmanagerConfigText(alertmanagerUrl: string): Promise<string> {
  const res = await fetch(`${alertmanagerUrl}/api/v2/status`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => {
    throw new SandboxError('RUNTIME_UNAVAILABLE', `Alertmanager at ${alertmanagerUrl} does not answer: ${e.message}`);
  });
  if (!res.ok) throw new SandboxError('RUNTIME_UNAVAILABLE', `Alertmanager at ${alertmanagerUrl}/api/v2/status: HTTP ${res.status}`);
  const original = ((await res.json()) as { config?: { original?: unknown } }).config?.original;
  if (typeof original !== 'string') throw new SandboxError('RUNTIME_UNAVAILABLE', `Alertmanager at ${alertmanagerUrl}/api/v2/status: no config.original in the answer`);
  return original;
}

export function checkAttachedRouting(scenarios: readonly Scenario[], receivers: readonly ReceiverTargets[], tree: AlertmanagerRoute, at: SandboxEndpoints, alertmanagerUrl: string): void {
  const problems = attachedRoutingProblems(scenarios, receivers, tree, at);
  if (problems.length === 0) return;
  throw new SandboxError('INVALID_CONFIG', `the Alertmanager at ${alertmanagerUrl} cannot deliver what ${problems.length === 1 ? 'a scenario expects' : 'the scenarios expect'}`, {
    details: problems,
    hint: '`npx sandbox attach config` prints the receivers and the route to add (the same --state-dir and --port-offset as this run)',
  });
}
