import type { StackComponentSpec } from './types.ts';

/**
 * The login of the stack components the sandbox guards with HTTP basic auth (Alertmanager, which
 * has no switch to turn off its admin-like routes such as `POST /-/reload` and answers every
 * Origin): one user, and the session's token as password. Prometheus (prometheus.yml's
 * basic_auth), Grafana's data source, readiness probes and the sandbox's own clients log in
 * with it.
 */
export const STACK_USER = 'sandbox';

/** The `Authorization` header value for the stack's login. */
export function basicAuthorization(password: string, user = STACK_USER): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** What a readiness probe sends: the login, for a component that asks for it on that route too. */
export function readinessHeaders(spec: StackComponentSpec, stackPassword: string | undefined): Record<string, string> {
  return spec.readiness.login && stackPassword ? { authorization: basicAuthorization(stackPassword) } : {};
}
