import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { describeIssues } from '../validation.ts';
import type { AuditLog } from './audit.ts';
import { ChaosInputError, type FaultDefinition, type FaultHandle, type FaultView, type RequestInfo } from './types.ts';

const requestSchema = z.strictObject({
  type: z.string({ error: 'type: expected a fault type name' }),
  params: z.record(z.string(), z.unknown()).default({}),
  durationMs: z.number().int().positive('durationMs: expected a positive number of milliseconds').optional(),
});

interface Active {
  view: FaultView;
  handle: FaultHandle;
  timer?: NodeJS.Timeout;
}

/** The faults in effect in this process: injection, expiry, clearing and the audit trail. */
export class FaultManager {
  private readonly active = new Map<string, Active>();
  private readonly definitions: Map<string, FaultDefinition>;

  constructor(
    private readonly service: string,
    definitions: readonly FaultDefinition[],
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {
    this.definitions = new Map(definitions.map((d) => [d.type, d]));
  }

  get supportedTypes(): string[] {
    return [...this.definitions.keys()];
  }

  async inject(body: unknown): Promise<{ status: 201 | 202; fault: FaultView }> {
    const req = requestSchema.safeParse(body);
    if (!req.success) throw new ChaosInputError(describeIssues(req.error));
    const { type, params: rawParams, durationMs } = req.data;
    const def = this.definitions.get(type);
    if (!def) {
      throw new ChaosInputError(`type: unknown fault type "${type}" for ${this.service}; supported: ${this.supportedTypes.join(', ')}`);
    }
    const parsed = def.params.safeParse(rawParams);
    if (!parsed.success) throw new ChaosInputError(describeIssues(parsed.error, 'params'));
    const problem = await def.check?.(parsed.data);
    if (problem) throw new ChaosInputError(problem);

    const id = `${type}-${randomUUID().slice(0, 8)}`;
    const startedAt = new Date();
    const view: FaultView = {
      id,
      type: def.type,
      params: parsed.data as Record<string, unknown>,
      startedAt: startedAt.toISOString(),
      expiresAt: durationMs === undefined ? null : new Date(startedAt.getTime() + durationMs).toISOString(),
    };
    this.audit.write('inject', { id, type, params: view.params, durationMs: durationMs ?? null });
    const handle = await def.start(parsed.data, {
      service: this.service,
      fault: view,
      log: this.log,
      end: (reason) => void this.clear(id, reason),
    });
    this.track(view, handle);
    this.log.warn({ fault_id: id, fault_type: type }, 'chaos fault injected');
    return { status: def.status ?? 201, fault: view };
  }

  /** Registers a fault that outlived a previous process of this service (crash-loop). */
  resume(view: FaultView, handle: FaultHandle): void {
    this.track(view, handle);
  }

  /** Audits the end of a fault that ran its course while no process of this service was up. */
  recordEnd(view: FaultView, reason: string): void {
    this.audit.write('clear', { id: view.id, type: view.type, reason });
  }

  list(): FaultView[] {
    return [...this.active.values()].map((a) => a.view);
  }

  async clear(id: string, reason: string): Promise<boolean> {
    const a = this.active.get(id);
    if (!a) return false;
    this.active.delete(id);
    clearTimeout(a.timer);
    await a.handle.stop();
    this.audit.write('clear', { id, type: a.view.type, reason });
    this.log.info({ fault_id: id, fault_type: a.view.type, reason }, 'chaos fault cleared');
    return true;
  }

  async clearAll(reason: string): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.clear(id, reason)));
  }

  /** Applies request-path faults; resolves to a status to fail the request with, if any. */
  async beforeRequest(req: RequestInfo): Promise<number | undefined> {
    if (this.active.size === 0) return undefined;
    let status: number | undefined;
    for (const { handle } of this.active.values()) status = (await handle.beforeRequest?.(req)) ?? status;
    return status;
  }

  dependencyDown(dependency: string): boolean {
    for (const { handle } of this.active.values()) if (handle.blocks?.(dependency)) return true;
    return false;
  }

  private track(view: FaultView, handle: FaultHandle): void {
    const entry: Active = { view, handle };
    if (view.expiresAt) {
      const ms = Math.max(0, Date.parse(view.expiresAt) - Date.now());
      entry.timer = setTimeout(() => void this.clear(view.id, 'expired'), ms);
      entry.timer.unref();
    }
    this.active.set(view.id, entry);
  }
}
