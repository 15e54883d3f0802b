/**
 * A batch processor's delay from its standard OpenTelemetry variable (OTEL_BSP_SCHEDULE_DELAY,
 * OTEL_BLRP_SCHEDULE_DELAY), or the sandbox's default: shorter than the SDK's, because a sandbox
 * wants to see its traces and logs soon; still one request per interval, never one per span or line.
 */
export function delayFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  const n = Number(raw);
  return raw && Number.isFinite(n) && n >= 0 ? n : fallback;
}
