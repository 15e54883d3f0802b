import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/render.ts';

/**
 * The session's token where a team's Alertmanager reads it when the sandbox is attached: the
 * notification sink and the remediation controller refuse deliveries without it, and the team's
 * alertmanager.yml cannot hold it (a new token every start). `sandbox attach config` prints
 * receivers with `http_config.authorization.credentials_file: <this file>`; Alertmanager reads
 * that file on every request (prometheus/common's authorization round tripper), so a running team
 * stack follows each new sandbox without a reload.
 *
 * Written 0600 when an attached sandbox starts, removed when it stops (or by its reaper, or by
 * the next command, after a killed one), like the targets files next to it.
 */
export function attachTokenFile(stateDir: string): string {
  return join(stateDir, 'attach', 'token');
}

export function writeAttachToken(stateDir: string, token: string): void {
  writeFileAtomic(attachTokenFile(stateDir), `${token}\n`, 0o600);
}

export function removeAttachToken(stateDir: string): void {
  rmSync(attachTokenFile(stateDir), { force: true });
}
