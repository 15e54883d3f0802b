import { readAttachTargets, ATTACH_JOBS } from '../../runtime/attached/targets.ts';
import { services } from '../../stack/catalog.ts';
import type { Labels } from '../timeline.ts';
import { fetchAlerts } from '../observers/alerts.ts';

/**
 * Attached, the team's Prometheus evaluates all of the team's rules: a Watchdog that always
 * fires, alerts on the team's own systems, alerts left over from an earlier sandbox. Only alerts
 * about this sandbox's services are the scenario's to judge; the rest are background, recorded
 * in the report and never counted against it.
 */
export type BackgroundReason = 'firing-before-start' | 'not-about-sandbox';

/** What this sandbox's services look like in alert labels. */
export interface SandboxScope {
  /** service / component label values of the sandbox's processes. */
  names: ReadonlySet<string>;
  /** The scrape jobs the sandbox asks the team to configure. */
  jobs: ReadonlySet<string>;
  /** Ports of the targets the sandbox lists now (instance labels are host:port). */
  ports: ReadonlySet<string>;
}

export function sandboxScope(stateDir: string): SandboxScope {
  const targets = readAttachTargets(stateDir);
  return {
    names: new Set([...services.map((s) => s.name), ...targets.flatMap((t) => [t.labels.service, t.labels.component].filter((x): x is string => Boolean(x)))]),
    jobs: new Set(ATTACH_JOBS),
    ports: new Set(targets.map((t) => t.target.replace(/^.*:/, ''))),
  };
}

const LOOPBACK_INSTANCE = /^(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)$/;

/**
 * An alert about this sandbox names one of its services (service or component label) or its
 * jobs; one whose instance is a loopback address on a port this sandbox does not list belongs to
 * another sandbox (an earlier one's targets, still scraped), not to this one.
 */
export function isSandboxAlert(labels: Labels, scope: SandboxScope): boolean {
  const named = [labels.service, labels.component].some((n) => n !== undefined && scope.names.has(n)) || (labels.job !== undefined && scope.jobs.has(labels.job));
  if (!named) return false;
  const port = LOOPBACK_INSTANCE.exec(labels.instance ?? '')?.[1];
  return port === undefined || scope.ports.has(port);
}

export const alertKey = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/**
 * The classifier the alert observer uses on an attached stack: alerts already firing when the
 * scenario starts, and alerts not about the sandbox's services, are background.
 */
export async function backgroundClassifier(prometheusUrl: string, stateDir: string): Promise<(labels: Labels) => BackgroundReason | null> {
  const scope = sandboxScope(stateDir);
  const before = new Set((await fetchAlerts(prometheusUrl)).filter((a) => a.state === 'firing').map((a) => alertKey(a.labels)));
  return (labels) => (before.has(alertKey(labels)) ? 'firing-before-start' : isSandboxAlert(labels, scope) ? null : 'not-about-sandbox');
}
