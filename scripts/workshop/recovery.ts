import type { Labels } from '../core/labels.ts';

/** An expected alert from the scenario: a name or /regex/, and labels that must match. */
export interface ExpectedAlert {
  alert: string;
  labels: Record<string, string>;
}

export function alertMatches(expected: ExpectedAlert, a: { alert: string; labels: Labels }): boolean {
  const m = /^\/(.+)\/$/.exec(expected.alert);
  const nameOk = m ? new RegExp(`^(?:${m[1]})$`).test(a.alert) : a.alert === expected.alert;
  return nameOk && Object.entries(expected.labels).every(([k, v]) => a.labels[k] === v);
}

/**
 * When the incident counts as recovered: the scenario's primary alert fired since the incident
 * began and is no longer firing; or, where it never fired (the trainees were faster than the
 * rule), every fault has ended and the primary alert is not firing. Returns how, or null.
 */
export function recoveryOf(
  primary: ExpectedAlert | null,
  firingNow: Iterable<{ alert: string; labels: Labels }>,
  faults: readonly { ended: boolean }[],
  primaryHasFired: boolean,
): string | null {
  if (faults.length === 0) return null;
  const primaryFiring = primary !== null && [...firingNow].some((a) => alertMatches(primary, a));
  if (primaryFiring) return null;
  if (primary && primaryHasFired) return `${primary.alert} resolved`;
  if (faults.every((f) => f.ended)) return 'every fault ended before the alert fired';
  return null;
}
