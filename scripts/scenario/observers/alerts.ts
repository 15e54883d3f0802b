import type { Labels, TimelineRecorder } from '../timeline.ts';
import { startPolling } from './poller.ts';

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
}

export async function fetchAlerts(prometheusUrl: string): Promise<PromAlert[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`Prometheus alerts API: HTTP ${res.status}`);
  const body = (await res.json()) as { data: { alerts: PromAlert[] } };
  return body.data.alerts.filter((a) => a.state === 'pending' || a.state === 'firing');
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** Why an alert is background (not the scenario's to judge), or null when it is the scenario's. */
export type BackgroundClassifier = (labels: Labels) => 'firing-before-start' | 'not-about-sandbox' | null;

/**
 * Watches Prometheus' alerts API and records each alert's pending, firing and resolved
 * transitions, as seen from outside (when the sandbox first saw it, which is what MTTD means).
 * With `background` (an attached stack), an alert it classifies is recorded once as a
 * background-alert instead, and its transitions are not the scenario's.
 */
export function observeAlerts(prometheusUrl: string, timeline: TimelineRecorder, intervalMs = 100, background?: BackgroundClassifier): { stop(): Promise<void> } {
  const known = new Map<string, { state: 'pending' | 'firing'; labels: Labels }>();
  const backgroundSeen = new Set<string>();
  return startPolling(async () => {
    const alerts = await fetchAlerts(prometheusUrl);
    const seen = new Set<string>();
    for (const a of alerts) {
      const { alertname, ...rest } = a.labels;
      if (!alertname) continue;
      const key = keyOf(a.labels);
      const reason = background?.(a.labels);
      if (reason) {
        if (!backgroundSeen.has(key)) timeline.record({ kind: 'background-alert', alert: alertname, labels: rest, state: a.state as 'pending' | 'firing', reason });
        backgroundSeen.add(key);
        continue;
      }
      seen.add(key);
      const before = known.get(key);
      if (!before || before.state !== a.state) {
        timeline.record({ kind: a.state === 'firing' ? 'alert-firing' : 'alert-pending', alert: alertname, labels: rest });
        known.set(key, { state: a.state as 'pending' | 'firing', labels: a.labels });
      }
    }
    for (const [key, v] of known) {
      if (seen.has(key)) continue;
      known.delete(key);
      const { alertname, ...rest } = v.labels;
      // A pending alert that goes away never fired: nothing resolved.
      if (v.state === 'firing') timeline.record({ kind: 'alert-resolved', alert: alertname!, labels: rest });
    }
  }, intervalMs);
}
