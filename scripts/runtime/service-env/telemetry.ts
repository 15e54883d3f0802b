import type { StackView } from './stack-view.ts';

/**
 * Where host processes (sample services, notification sink, remediation controller) send their
 * telemetry, by the OpenTelemetry SDK's standard variable names:
 * - OTEL_EXPORTER_OTLP_ENDPOINT: Tempo's OTLP/HTTP receiver, a base URL; the services export spans
 *   (batched, OTLP JSON) to `<it>/v1/traces`. Set only where Tempo runs.
 * - OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: Loki's native OTLP logs endpoint, a full URL
 *   (`<loki>/otlp/v1/logs`, used as given). The processes keep writing their JSON lines to stdout
 *   and also ship them there (batched), with trace and span ids on the record and service.name
 *   on the resource: Loki stores them as structured metadata `trace_id`/`span_id` and the stream
 *   label `service_name`. Set only where Loki runs.
 * Neither is set where its component does not run, so nothing exports into nothing (and no
 * exporter is even created). Logs never fall back to OTEL_EXPORTER_OTLP_ENDPOINT (Tempo takes
 * no logs): the services build a log exporter only from the logs variable.
 */
export function telemetryEnv(view: StackView): Record<string, string> {
  return {
    ...(view.runs('tempo') ? { OTEL_EXPORTER_OTLP_ENDPOINT: view.hostUrl('tempo', 'otlp-http') } : {}),
    ...(view.runs('loki') ? { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${view.hostUrl('loki', 'http')}/otlp/v1/logs` } : {}),
  };
}
