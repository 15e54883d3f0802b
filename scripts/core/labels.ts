/** A label set, as Prometheus and Alertmanager give one: name → value. */
export type Labels = Readonly<Record<string, string>>;

/**
 * The external label naming one scenario run (set in prometheus.yml for each run, so every alert
 * Prometheus sends carries it). Alertmanager groups by it, and the receivers' readers use it to
 * tell a late notification of an earlier run from one of the run under way.
 */
export const RUN_LABEL = 'sandbox_run';

/** False only for an alert labelled with another run than `run` (unlabelled alerts belong to every run). */
export function belongsToRun(labels: Labels, run: string | null | undefined): boolean {
  const label = labels[RUN_LABEL];
  return run === null || run === undefined || label === undefined || label === run;
}
