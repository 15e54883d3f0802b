import type { StandardUnit } from '@aws-sdk/client-cloudwatch';

/**
 * Where code records a CloudWatch metric: the process's publisher when one runs (cloudwatch.ts,
 * started only when AWS_ENDPOINT_URL is set), else a no-op. Like OpenTelemetry's global
 * providers, so a route records without a publisher threaded through; and without loading the
 * AWS SDK in a process that never publishes.
 */
export interface MetricRecorder {
  record(name: string, unit: StandardUnit, value: number, dimensions?: Record<string, string>): void;
}

const NOOP: MetricRecorder = { record: () => undefined };
let current: MetricRecorder = NOOP;

export function cloudWatchMetrics(): MetricRecorder {
  return current;
}

/** Installs the process's recorder; the returned function puts the no-op back (if still current). */
export function setCloudWatchRecorder(recorder: MetricRecorder): () => void {
  current = recorder;
  return () => {
    if (current === recorder) current = NOOP;
  };
}
