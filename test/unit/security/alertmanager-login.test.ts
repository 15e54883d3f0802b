import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertmanagerWebConfig, writeAlertmanagerLogin } from '../../../scripts/runtime/config/alertmanager-auth.ts';
import { composeDocument } from '../../../scripts/runtime/docker/compose-file.ts';
import { basicAuthorization } from '../../../scripts/stack/stack-auth.ts';

/** Alertmanager's login (issue 14): what web.yml and Prometheus' password file hold. */
describe("Alertmanager's login", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('web.yml holds a bcrypt hash of the token for user sandbox, never the token', () => {
    const token = 'a'.repeat(64);
    const text = alertmanagerWebConfig(token);
    const users = (parse(text) as { basic_auth_users: Record<string, string> }).basic_auth_users;
    expect(Object.keys(users)).toEqual(['sandbox']);
    expect(text).not.toContain(token);
    expect(bcrypt.compareSync(token, users.sandbox!)).toBe(true);
    expect(bcrypt.compareSync('b'.repeat(64), users.sandbox!)).toBe(false);
  });

  it('writes web.yml and the password file Prometheus reads, with the mode asked for', () => {
    const root = mkdtempSync(join(tmpdir(), 'am-login-'));
    dirs.push(root);
    writeAlertmanagerLogin(join(root, 'am'), join(root, 'prom'), 'tok', 0o600);
    expect(statSync(join(root, 'am/web.yml')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(root, 'prom/secrets/alertmanager-password'), 'utf8')).toBe('tok');
    expect(statSync(join(root, 'prom/secrets/alertmanager-password')).mode & 0o777).toBe(0o600);
  });

  it('the stack-only compose file has no session: Alertmanager takes no login there and holds no secret', () => {
    const configs = composeDocument().configs as Record<string, { content: string }>;
    expect(parse(configs['alertmanager-web-yml']!.content)).toEqual({ basic_auth_users: {} });
    expect(configs['prometheus-secrets-alertmanager-password']!.content).toBe('');
  });

  it('sends it as HTTP basic auth', () => {
    expect(basicAuthorization('tok')).toBe(`Basic ${Buffer.from('sandbox:tok').toString('base64')}`);
  });
});
