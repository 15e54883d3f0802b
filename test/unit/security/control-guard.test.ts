import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authHeaders, checkControlRequest, checkHostAndOrigin, presentedToken, tokenMatches } from '../../../scripts/core/control-guard.ts';
import { addReceiverAuthorization } from '../../../scripts/runtime/config/alertmanager-receivers.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { grafanaOriginPattern, prometheus } from '../../../scripts/stack/components/prometheus.ts';

/** The checks every control surface runs (scripts/core/control-guard.ts), on headers as Node parses them. */
const TOKEN = 'a'.repeat(64);
const ok = { host: '127.0.0.1:9400', ...authHeaders(TOKEN) };

describe('the session token', () => {
  it('compares in constant time on any input: other lengths, latin-1 bytes (0xE9), non-strings', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN, `${TOKEN}a`)).toBe(false);
    expect(tokenMatches(TOKEN, '')).toBe(false);
    // 32 raw 0xE9 bytes, as Node hands a header to the server: no RangeError, just "no".
    expect(() => tokenMatches(TOKEN, '\u00e9'.repeat(32))).not.toThrow();
    expect(tokenMatches(TOKEN, '\u00e9'.repeat(32))).toBe(false);
    expect(tokenMatches(TOKEN, '\u00e9'.repeat(64))).toBe(false);
    expect(tokenMatches(TOKEN, undefined)).toBe(false);
    expect(tokenMatches(TOKEN, ['x'])).toBe(false);
    // No token configured: nothing matches, not even an empty one.
    expect(tokenMatches(undefined, '')).toBe(false);
    expect(tokenMatches('', '')).toBe(false);
  });

  it('is read from Authorization: Bearer, or the chaos API’s older x-chaos-token', () => {
    expect(presentedToken({ authorization: `Bearer ${TOKEN}` })).toBe(TOKEN);
    expect(presentedToken({ authorization: `bearer  ${TOKEN} ` })).toBe(TOKEN);
    expect(presentedToken({ authorization: `Basic ${TOKEN}` })).toBeUndefined();
    expect(presentedToken({ 'x-chaos-token': TOKEN })).toBe(TOKEN);
  });
});

describe('a guarded request', () => {
  it('passes with the token, a loopback Host and a JSON body (or none)', () => {
    const policy = { token: TOKEN };
    expect(checkControlRequest(ok, policy)).toBeNull();
    expect(checkControlRequest({ ...ok, host: 'localhost:9400' }, policy)).toBeNull();
    expect(checkControlRequest({ ...ok, host: '[::1]:9400' }, policy)).toBeNull();
    expect(checkControlRequest({ ...ok, 'content-type': 'application/json; charset=utf-8', 'content-length': '14' }, policy)).toBeNull();
    expect(checkControlRequest({ ...ok, origin: 'http://127.0.0.1:9400' }, policy)).toBeNull();
  });

  it('refuses the issue’s attack: a web page’s text/plain POST, from any angle', () => {
    const policy = { token: TOKEN };
    const attack = { host: '127.0.0.1:16400', origin: 'http://evil', 'content-type': 'text/plain', 'content-length': '14' };
    expect(checkControlRequest(attack, policy)).toEqual({ status: 403, error: 'Origin "http://evil" may not use this API (requests from web pages are refused)' });
    expect(checkControlRequest({ ...attack, origin: undefined }, policy)?.status).toBe(401);
    expect(checkControlRequest({ ...attack, origin: undefined, ...authHeaders(TOKEN) }, policy)).toEqual({ status: 415, error: 'Content-Type "text/plain" is not accepted: send application/json' });
    expect(checkControlRequest({ ...ok, 'content-length': '3' }, policy)?.status).toBe(415);
    expect(checkControlRequest({ ...ok, origin: 'null' }, policy)?.status).toBe(403);
    // A page on another local port is a web page too.
    expect(checkControlRequest({ ...ok, origin: 'http://127.0.0.1:3000' }, policy)?.status).toBe(403);
  });

  it('refuses DNS rebinding (a Host that is not this machine), naming the Host', () => {
    expect(checkHostAndOrigin({ host: 'evil.example:9400' }, { token: TOKEN })).toEqual({ status: 403, error: 'Host "evil.example:9400" is not this sandbox (loopback only)' });
    expect(checkHostAndOrigin({}, { token: TOKEN })?.status).toBe(403);
    expect(checkHostAndOrigin({ host: '127.0.0.1.evil.example' }, { token: TOKEN })?.status).toBe(403);
    // Docker Desktop's name for the host (bridge networking), when the session allows it.
    expect(checkHostAndOrigin({ host: 'host.docker.internal:9401' }, { token: TOKEN, extraHosts: ['host.docker.internal'] })).toBeNull();
    expect(checkHostAndOrigin({ host: 'host.docker.internal:9401' }, { token: TOKEN })?.status).toBe(403);
  });

  it('refuses a declared body over the limit before reading it, and any request without a configured token', () => {
    expect(checkControlRequest({ ...ok, 'content-type': 'application/json', 'content-length': String(300 * 1024 * 1024) }, { token: TOKEN, bodyLimit: 65536 })).toEqual({
      status: 413,
      error: `body of ${300 * 1024 * 1024} bytes is over the limit of 65536 bytes`,
    });
    expect(checkControlRequest(ok, { token: undefined })?.status).toBe(401);
  });
});

describe("Alertmanager's deliveries to the sandbox's receivers", () => {
  it('carry the token (http_config.authorization) on every receiver that points at the sink or the controller, and on nothing else', () => {
    const text = readFileSync(join(PROJECT_ROOT, 'compose/alertmanager/alertmanager.yml'), 'utf8');
    const out = addReceiverAuthorization(text, ['http://127.0.0.1:9401', 'http://127.0.0.1:9402'], 'tok');
    const receivers = (parseDocument(out).toJS() as { receivers: Record<string, unknown>[] }).receivers;
    const auth = { authorization: { type: 'Bearer', credentials: 'tok' } };
    const byName = Object.fromEntries(receivers.map((r) => [r.name as string, r]));
    expect((byName.remediation!.webhook_configs as { http_config: unknown }[])[0]!.http_config).toEqual(auth);
    expect((byName.pagerduty!.pagerduty_configs as { http_config: unknown }[])[0]!.http_config).toEqual(auth);
    expect((byName.slack!.slack_configs as { http_config: unknown }[])[0]!.http_config).toEqual(auth);
    expect((byName.log!.webhook_configs as { http_config: unknown }[])[0]!.http_config).toEqual(auth);
    // SNS signs its own requests (sigv4): no bearer token there.
    expect((byName.sns!.sns_configs as Record<string, unknown>[])[0]).not.toHaveProperty('http_config');
    // The repository's own file never holds a token.
    expect(text).not.toContain('credentials: tok');
  });
});

describe("Prometheus' flags", () => {
  const ctx = (externalUrl: string) => ({ configDir: '/c', dataDir: '/d', listenHost: '127.0.0.1', port: () => 9190, externalUrl, peer: () => '', projectPath: (p: string) => p, stackPassword: '' });

  it('enable neither the lifecycle nor the admin API, and limit CORS to Grafana’s page at the same offset', () => {
    const args = prometheus.args(ctx('http://127.0.0.1:9190'));
    expect(args.some((a) => /enable-lifecycle|enable-admin-api/.test(a))).toBe(false);
    const cors = args.find((a) => a.startsWith('--web.cors.origin='))!.slice('--web.cors.origin='.length);
    // Prometheus anchors the pattern (^(?:...)$), as here.
    const allowed = new RegExp(`^(?:${cors})$`);
    expect(allowed.test('http://127.0.0.1:3100')).toBe(true);
    expect(allowed.test('http://localhost:3100')).toBe(true);
    for (const origin of ['http://evil', 'http://127.0.0.1:3000', 'http://127.0.0.1:31000', 'http://127.0.0.1.evil:3100', 'https://127.0.0.1:3100', 'null']) {
      expect(allowed.test(origin), origin).toBe(false);
    }
    expect(grafanaOriginPattern({ externalUrl: 'http://127.0.0.1:9090' })).toBe('http://(127\\.0\\.0\\.1|localhost):3000');
  });
});
