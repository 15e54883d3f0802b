import { SandboxError } from '../core/errors.ts';
import { stackComponents } from '../stack/catalog.ts';
import type { ComponentStatus } from './types.ts';

/** Where `--without` comes from when the flag is not given. */
export const WITHOUT_ENV = 'SANDBOX_WITHOUT';

/**
 * The stack components a user leaves out (`--without grafana,loki`, or SANDBOX_WITHOUT), in both
 * runtimes. Only optional ones: Prometheus and Alertmanager are what a scenario is judged by.
 */
export function parseWithout(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const raw = flag ?? env[WITHOUT_ENV] ?? '';
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const source = flag !== undefined ? '--without' : WITHOUT_ENV;
  const optional = stackComponents.filter((c) => c.optional).map((c) => c.name);
  for (const n of names) {
    const spec = stackComponents.find((c) => c.name === n);
    if (!spec) {
      throw new SandboxError('INVALID_ARGUMENT', `${source}: "${n}" is not a stack component`, { hint: `components that can be left out: ${optional.join(', ')}` });
    }
    if (!spec.optional) {
      throw new SandboxError('INVALID_ARGUMENT', `${source}: ${n} cannot be left out: scenarios are judged by Prometheus and Alertmanager`, {
        hint: `components that can be left out: ${optional.join(', ')}`,
      });
    }
  }
  return new Set(names);
}

/** How `status` shows a component the user left out. */
export function leftOutStatus(name: string): ComponentStatus {
  return { name, state: 'unavailable', reason: 'left out (--without or SANDBOX_WITHOUT)', hint: `start without leaving out ${name} to get it` };
}
