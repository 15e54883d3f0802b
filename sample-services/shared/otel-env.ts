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

/** Who a process says it is in its telemetry: the OpenTelemetry resource's service.name and the rest. */
export interface ServiceResource {
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded, without service.name (that is `serviceName`). */
  attributes: Record<string, string>;
  /** Why OTEL_RESOURCE_ATTRIBUTES was discarded, for the process to log; absent when it was fine or unset. */
  problem?: string;
}

/**
 * The resource from the standard variables, per the OpenTelemetry SDK environment variable
 * spec: OTEL_RESOURCE_ATTRIBUTES is `key=value` pairs separated by commas, keys and values
 * percent-decoded and trimmed; a pair that does not parse discards the whole variable.
 * OTEL_SERVICE_NAME sets service.name and wins over a service.name in OTEL_RESOURCE_ATTRIBUTES;
 * without either the service keeps `fallbackName` (SERVICE_NAME, or its own default) rather than
 * the SDK's `unknown_service:node`. An empty variable counts as unset.
 *
 * Not the SDK's env detectors: they read process.env only, a service here takes its env as a
 * parameter (tests start two in one process), and a discarded variable should be said in the
 * service's log, not at the SDK's debug level.
 */
export function serviceResource(env: NodeJS.ProcessEnv, fallbackName: string): ServiceResource {
  let attributes: Record<string, string> = {};
  let problem: string | undefined;
  const raw = env.OTEL_RESOURCE_ATTRIBUTES?.trim();
  if (raw) {
    try {
      attributes = parseResourceAttributes(raw);
    } catch (e) {
      problem = `OTEL_RESOURCE_ATTRIBUTES ignored: ${(e as Error).message}`;
    }
  }
  const { 'service.name': fromAttributes, ...rest } = attributes;
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || fromAttributes || fallbackName;
  return { serviceName, attributes: rest, ...(problem ? { problem } : {}) };
}

function parseResourceAttributes(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const parts = pair.split('=');
    if (parts.length !== 2) throw new Error(`"${pair.trim()}" is not key=value (percent-encode a "," or "=" inside a key or value as %2C, %3D)`);
    const key = decode(parts[0]!.trim(), pair);
    if (key === '') throw new Error(`"${pair.trim()}" has an empty key`);
    out[key] = decode(parts[1]!.trim(), pair);
  }
  return out;
}

function decode(text: string, pair: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`"${pair.trim()}" is not valid percent-encoding`);
  }
}
