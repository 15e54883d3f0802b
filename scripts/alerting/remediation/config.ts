import { join, resolve } from 'node:path';

export interface ControllerConfig {
  service: string;
  host: string;
  port: number;
  /** The sandbox control API base URL (restart, status). */
  controlUrl: string;
  /** x-chaos-token for the sample services' operator endpoints. */
  token: string | undefined;
  dryRun: boolean;
  playbooksPath: string;
  /** The path as given (relative to the project root by default), for messages. */
  playbooksDisplay: string;
  auditPath: string | undefined;
}

/** Settings from the environment the sandbox's supervisor sets; throws with the variable's name on a bad value. */
/** `portVar`: the variable holding the port (PORT; PORT_REMEDIATION_CONTROLLER in the receivers' shared process). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), portVar = 'PORT'): ControllerConfig {
  const port = Number(env[portVar] ?? 9402);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${portVar} must be a port number, got ${JSON.stringify(env[portVar])}`);
  const controlUrl = (env.SANDBOX_CONTROL_URL ?? '').replace(/\/+$/, '');
  if (!controlUrl) throw new Error('SANDBOX_CONTROL_URL must be set to the sandbox control API base URL');
  try {
    new URL(controlUrl);
  } catch {
    throw new Error(`SANDBOX_CONTROL_URL must be a URL, got ${JSON.stringify(env.SANDBOX_CONTROL_URL)}`);
  }
  const playbooksDisplay = env.REMEDIATION_PLAYBOOKS || 'compose/remediation/playbooks.yml';
  return {
    service: env.SERVICE_NAME || 'remediation-controller',
    host: env.HOST || '127.0.0.1',
    port,
    controlUrl,
    token: env.CHAOS_TOKEN || undefined,
    dryRun: ['1', 'true', 'yes'].includes((env.REMEDIATION_DRY_RUN ?? '').toLowerCase()),
    playbooksPath: resolve(cwd, playbooksDisplay),
    playbooksDisplay,
    auditPath: env.SANDBOX_STATE_DIR ? join(env.SANDBOX_STATE_DIR, 'logs', 'remediation-audit.jsonl') : undefined,
  };
}
