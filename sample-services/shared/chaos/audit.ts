import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The timeline's record of injections and clears, kept apart from metrics so that alerts can
 * only see a fault through its effects. Written synchronously: a crash fault exits right after.
 */
export class AuditLog {
  private readonly file: string;

  constructor(
    stateDir: string,
    private readonly service: string,
  ) {
    const dir = join(stateDir, 'audit');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'chaos.jsonl');
  }

  write(event: 'inject' | 'clear', fields: Record<string, unknown>): void {
    const line = JSON.stringify({ at: new Date().toISOString(), service: this.service, event, ...fields });
    // Appends under PIPE_BUF are atomic, so both services can share the file.
    appendFileSync(this.file, `${line}\n`);
  }
}
