import { isRegexForm, type ActionSpec, type Playbook } from './playbook-schema.ts';

import type { Labels } from '../../core/labels.ts';

/** Whether one matcher holds: exact value, or /regex/ anchored to the whole value. A missing label is ''. */
export function matcherHolds(expected: string, actual: string | undefined): boolean {
  const value = actual ?? '';
  if (isRegexForm(expected)) return new RegExp(`^(?:${expected.slice(1, -1)})$`).test(value);
  return value === expected;
}

export function playbookMatches(playbook: Pick<Playbook, 'match'>, labels: Labels): boolean {
  return Object.entries(playbook.match).every(([name, expected]) => matcherHolds(expected, labels[name]));
}

/** The first playbook whose every matcher holds (file order), like a routing tree's first match. */
export function findPlaybook<P extends Pick<Playbook, 'match'>>(playbooks: readonly P[], labels: Labels): P | undefined {
  return playbooks.find((p) => playbookMatches(p, labels));
}

/**
 * The service an action acts on: its own `service:`, else the alert's `service` label. An alert
 * about one scale-out replica (its scrape target carries replica="ml-service-2" beside
 * service="ml-service") acts on that instance, so a replica that went down is restarted instead
 * of the healthy primary; scale-out itself always acts on the whole service.
 */
export function targetService(action: ActionSpec, labels: Labels): string | undefined {
  const service = action.service ?? (labels.service || undefined);
  if (labels.replica && service === labels.service && action.action !== 'scale-out') return labels.replica;
  return service;
}
