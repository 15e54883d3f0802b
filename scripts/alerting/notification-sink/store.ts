import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Delivery, DeliveryContent, DeliveryKind } from './types.ts';

export interface DeliveryFilter {
  receiver?: string;
}

/**
 * The last `capacity` deliveries in memory, oldest first; optionally every delivery appended as
 * a JSON line to a journal file that outlives DELETE /deliveries and restarts.
 */
export class DeliveryStore {
  private readonly items: Delivery[] = [];
  private seq = 0;
  /** Ids stay unique across restarts of the sink, so an observer never mistakes a new one for a seen one. */
  private readonly bootId = Date.now().toString(36);
  private readonly journal: WriteStream | undefined;

  constructor(
    private readonly capacity = 10_000,
    journalPath?: string,
  ) {
    if (journalPath) {
      mkdirSync(dirname(journalPath), { recursive: true });
      this.journal = createWriteStream(journalPath, { flags: 'a' });
    }
  }

  add(receiver: string, kind: DeliveryKind, content: DeliveryContent, raw: unknown, now = new Date()): Delivery {
    const delivery: Delivery = {
      id: `${this.bootId}-${++this.seq}`,
      receiver,
      kind,
      receivedAt: now.toISOString(),
      status: content.status,
      alerts: content.alerts,
      raw,
    };
    this.items.push(delivery);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    this.journal?.write(`${JSON.stringify(delivery)}\n`);
    return delivery;
  }

  list(filter: DeliveryFilter = {}): Delivery[] {
    return filter.receiver === undefined ? [...this.items] : this.items.filter((d) => d.receiver === filter.receiver);
  }

  clear(): void {
    this.items.length = 0;
  }

  get size(): number {
    return this.items.length;
  }

  /** Flush and close the journal. */
  async close(): Promise<void> {
    const j = this.journal;
    if (!j || j.closed) return;
    await new Promise<void>((resolve) => j.end(resolve));
  }
}
