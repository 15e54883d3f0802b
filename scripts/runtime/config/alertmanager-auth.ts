import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { STACK_USER } from '../../stack/stack-auth.ts';
import { writeFileAtomic } from './render.ts';

/** Alertmanager's --web.config.file (exporter-toolkit's format), in its rendered config dir. */
export const ALERTMANAGER_WEB_CONFIG = 'web.yml';
/** What prometheus.yml's `basic_auth.password_file` names, relative to its own directory. */
export const ALERTMANAGER_PASSWORD_FILE = join('secrets', 'alertmanager-password');

/**
 * bcrypt's lowest cost: the password is the session's 256-bit random token, which no work factor
 * makes harder to guess, while Alertmanager checks the hash on requests (every scrape, every
 * alert Prometheus sends).
 */
const BCRYPT_COST = 4;

/** web.yml: one user with the password's bcrypt hash; null password: no login (upstream's default). */
export function alertmanagerWebConfig(password: string | null): string {
  const users = password === null ? {} : { [STACK_USER]: bcrypt.hashSync(password, BCRYPT_COST) };
  return stringify({ basic_auth_users: users });
}

/**
 * The two files that make Alertmanager ask for the login and Prometheus give it: Alertmanager's
 * web.yml and Prometheus' password file. `mode` as for the other rendered secrets: 0600
 * natively, readable by a container's own user under docker (the stack dir is 0700).
 */
export function writeAlertmanagerLogin(alertmanagerConfigDir: string, prometheusConfigDir: string, password: string, mode: number): void {
  writeFileAtomic(join(alertmanagerConfigDir, ALERTMANAGER_WEB_CONFIG), alertmanagerWebConfig(password), mode);
  writeFileAtomic(join(prometheusConfigDir, ALERTMANAGER_PASSWORD_FILE), password, mode);
}
