import type { TimelineEventBody } from '../timeline.ts';

/** What the observers see from outside: alerts, notifications, remediations, processes. */
export type ObservedEvent = Extract<
  TimelineEventBody,
  { kind: 'alert-pending' | 'alert-firing' | 'alert-resolved' | 'background-alert' | 'notification' | 'remediation' | 'process-start' | 'process-exit' }
>;

/**
 * Where observers put what they see, timed by when it happened (`atMs`, wall clock) when the
 * source says so. A scenario's timeline is one; the workshop driver's event log is another.
 */
export interface ObservationSink {
  record(body: ObservedEvent, atMs?: number): unknown;
}
