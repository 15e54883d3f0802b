import { SandboxError } from '../../core/errors.ts';

export type AttachedComponent = 'prometheus' | 'alertmanager' | 'loki' | 'tempo';

/**
 * Paths of each component's API and UI that people paste instead of the base URL. Whatever
 * precedes them is kept: a Prometheus behind --web.route-prefix=/prom has its base at /prom.
 */
const API_PATHS: Record<AttachedComponent, RegExp> = {
  prometheus: /\/(?:api\/v1(?:\/.*)?|-\/(?:ready|healthy|reload)|graph|alerts|targets|rules|config|flags|status|tsdb-status|service-discovery|query|federate|metrics)$/,
  alertmanager: /\/(?:api\/v[12](?:\/.*)?|-\/(?:ready|healthy|reload)|metrics)$/,
  loki: /\/(?:loki\/api\/v1(?:\/.*)?|otlp\/v1\/logs|ready|metrics|config)$/,
  tempo: /\/(?:api\/(?:search|traces|v2|echo|status)(?:\/.*)?|ready|metrics|status(?:\/.*)?)$/,
};

/**
 * The base URL of an attached component from what was given: scheme, host, port and any route
 * prefix, without a trailing slash, query, fragment (Alertmanager's UI is `/#/alerts`) or a
 * pasted API path. `note` says what was dropped, so nobody wonders which URL is used.
 */
export function attachBaseUrl(flag: string, value: string, component: AttachedComponent): { url: string; note?: string } {
  const hint = `give the base URL, e.g. ${flag} http://127.0.0.1:${{ prometheus: 9090, alertmanager: 9093, loki: 3100, tempo: 3200 }[component]} (with the route prefix, if it serves under one)`;
  if (!URL.canParse(value)) throw new SandboxError('INVALID_ARGUMENT', `${flag} "${value}" is not a URL`, { hint });
  const u = new URL(value);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SandboxError('INVALID_ARGUMENT', `${flag} "${value}" is not an http(s) URL`, { hint });
  if (u.username || u.password) {
    throw new SandboxError('INVALID_ARGUMENT', `${flag}: credentials in the URL are not supported`, { hint: 'attach to a stack that answers on loopback without them' });
  }
  let path = u.pathname.replace(/\/+$/, '');
  for (let m = API_PATHS[component].exec(path); m; m = API_PATHS[component].exec(path)) path = path.slice(0, m.index);
  const url = `${u.protocol}//${u.host}${path}`;
  // A trailing slash is no news; anything else dropped is said.
  return url === value.replace(/\/+$/, '') ? { url } : { url, note: `${flag} ${value} taken as ${url} (the base URL)` };
}
