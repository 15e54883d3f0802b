import { z } from 'zod';

/**
 * The process contract with the sandbox supervisor: everything a sample service reads from its
 * environment, validated once at start so a bad value stops the process with a clear message.
 */
const schema = z.object({
  SERVICE_NAME: z.string().min(1),
  /** This process among the service's instances (scale-out: ml-service-2); defaults to SERVICE_NAME. Keys per-process state such as a crash loop's. */
  SERVICE_INSTANCE: z.string().min(1).optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535),
  CHAOS_TOKEN: z.string().optional(),
  SANDBOX_STATE_DIR: z.string().default('.sandbox'),
  /** OTLP/HTTP base URL for traces (Tempo): spans go to <it>/v1/traces. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Full OTLP/HTTP logs URL (Loki's <loki>/otlp/v1/logs): log lines are also shipped there. */
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: z.string().url().optional(),
  SANDBOX_CRASH_AFTER_MS: z.coerce.number().int().positive().optional(),
  /**
   * Which signals the service produces: "on" (all), "off" (none: the baseline of the overhead
   * bench), or a comma list of metrics, traces, logs (the bench measures each alone). Off means
   * no request metrics or runtime metrics, no tracing, no info logs (warnings and errors stay).
   */
  SANDBOX_INSTRUMENTATION: z
    .string()
    .default('on')
    .refine((v) => v === 'on' || v === 'off' || v.split(',').every((s) => (SIGNALS as readonly string[]).includes(s.trim())), {
      message: 'expected on, off, or a comma list of metrics, traces, logs',
    }),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

const SIGNALS = ['metrics', 'traces', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];
export type Signals = Record<Signal, boolean>;

export type ServiceConfig = z.infer<typeof schema> & { signals: Signals; SERVICE_INSTANCE: string };

/** SANDBOX_INSTRUMENTATION (validated) → which signals are on. */
export function signalsFrom(value: string): Signals {
  const on = value === 'on' ? [...SIGNALS] : value === 'off' ? [] : value.split(',').map((s) => s.trim());
  return { metrics: on.includes('metrics'), traces: on.includes('traces'), logs: on.includes('logs') };
}

export function readConfig(defaultName: string, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  // An empty variable means unset (shells and supervisors often pass FOO= rather than omitting it).
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse({ ...given, SERVICE_NAME: env.SERVICE_NAME || defaultName });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid environment for ${defaultName}: ${lines.join('; ')}`);
  }
  return { ...parsed.data, SERVICE_INSTANCE: parsed.data.SERVICE_INSTANCE ?? parsed.data.SERVICE_NAME, signals: signalsFrom(parsed.data.SANDBOX_INSTRUMENTATION) };
}
