import type { StackView } from './index.ts';

/** OTLP traces to Tempo and logs to Loki, when they run. */
export function telemetryEnv(view: StackView): Record<string, string> {
  return view.runs('tempo') ? { OTEL_EXPORTER_OTLP_ENDPOINT: view.hostUrl('tempo', 'otlp-http') } : {};
}
