import { join } from 'node:path';

export interface SinkConfig {
  service: string;
  host: string;
  port: number;
  /** Where every delivery is appended as a JSON line, when the sandbox gives a state dir. */
  journalPath?: string;
  capacity: number;
}

/** Settings from the environment the sandbox's supervisor sets. */
/** `portVar`: the variable holding the port (PORT; PORT_NOTIFICATION_SINK in the receivers' shared process). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, portVar = 'PORT'): SinkConfig {
  const port = Number(env[portVar] ?? 9401);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${portVar} must be a port number, got ${JSON.stringify(env[portVar])}`);
  const capacity = Number(env.SINK_CAPACITY ?? 10_000);
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`SINK_CAPACITY must be a positive integer, got ${JSON.stringify(env.SINK_CAPACITY)}`);
  const service = env.SERVICE_NAME || 'notification-sink';
  return {
    service,
    host: env.HOST || '127.0.0.1',
    port,
    capacity,
    journalPath: env.SANDBOX_STATE_DIR ? join(env.SANDBOX_STATE_DIR, 'logs', `${service}.deliveries.jsonl`) : undefined,
  };
}
