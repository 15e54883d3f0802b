import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type ActionResult = 'started' | 'succeeded' | 'failed' | 'skipped' | 'dry-run';

/** One action the controller decided on; the scenario engine reads these through GET /actions. */
export interface ActionRecord {
  id: string;
  playbook: string;
  alertname: string;
  service: string;
  action: string;
  /** 'firing' runs `actions`, 'resolved' runs `onResolved`. */
  phase: 'firing' | 'resolved';
  result: ActionResult;
  /** Why it was skipped or failed, or what a dry run would have done. */
  reason?: string;
  /** What a succeeded action did (e.g. the model versions). */
  detail?: string;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
  fingerprint: string;
  startsAt: string;
  /** Further resends folded into this skipped record, so the list stays readable. */
  repeats?: number;
}

/**
 * The action records, oldest first, bounded; each state change is appended to the audit log as
 * one JSON line (`event` says which change).
 */
export class ActionStore {
  private records: ActionRecord[] = [];
  private readonly byId = new Map<string, ActionRecord>();
  private seq = 0;
  private readonly audit: WriteStream | undefined;

  constructor(
    private readonly capacity = 5000,
    auditPath?: string,
  ) {
    if (auditPath) {
      mkdirSync(dirname(auditPath), { recursive: true });
      this.audit = createWriteStream(auditPath, { flags: 'a' });
    }
  }

  add(record: Omit<ActionRecord, 'id'>): ActionRecord {
    const full: ActionRecord = { id: `a${++this.seq}`, ...record };
    this.records.push(full);
    this.byId.set(full.id, full);
    if (this.records.length > this.capacity) this.byId.delete(this.records.shift()!.id);
    this.write('created', full);
    return full;
  }

  /** Changes a record in place (same id): started → outcome, or a folded resend. */
  update(id: string, change: Partial<Omit<ActionRecord, 'id'>>, event = 'updated'): ActionRecord | undefined {
    const r = this.byId.get(id);
    if (!r) return undefined;
    Object.assign(r, change);
    this.write(event, r);
    return r;
  }

  get(id: string): ActionRecord | undefined {
    return this.byId.get(id);
  }

  list(): ActionRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  clear(): number {
    const n = this.records.length;
    this.records = [];
    this.byId.clear();
    this.audit?.write(`${JSON.stringify({ at: new Date().toISOString(), event: 'cleared', count: n })}\n`);
    return n;
  }

  async close(): Promise<void> {
    const audit = this.audit;
    if (audit) await new Promise<void>((ok) => audit.end(ok));
  }

  private write(event: string, r: ActionRecord): void {
    this.audit?.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...r })}\n`);
  }
}
