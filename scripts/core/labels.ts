/** A label set, as Prometheus and Alertmanager give one: name → value. */
export type Labels = Readonly<Record<string, string>>;
