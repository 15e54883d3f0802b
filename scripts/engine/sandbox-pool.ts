import { SandboxError } from '../core/errors.ts';
import { connectionFrom, type SandboxConnection } from '../runtime/connection.ts';
import type { Sandbox } from '../runtime/session.ts';
import type { RuntimeName } from '../runtime/types.ts';

/**
 * The sandboxes a suite runs on: one, or several side by side (parallel shards). Scenarios take
 * a free sandbox each (`use`), in the order they ask, and wait for one otherwise. A sandbox that
 * cannot get clean between scenarios is retired: it takes no further scenario (its failure would
 * cascade), and once every sandbox is retired whatever still waits is refused with the reason.
 * An exclusive job (one that needs the machine's cores to itself, such as a CPU-burn fault whose
 * alert measures a core's worth of CPU) starts only when no other job runs, and none starts
 * beside it (with one sandbox, every job is). Jobs start in the order they asked (first come,
 * first served), so an exclusive one is not starved.
 * Closing stops the sandboxes the pool started; one it was only lent stays running.
 */
export class SandboxPool implements AsyncDisposable {
  private readonly free: SandboxConnection[];
  private readonly waiters: { exclusive: boolean; resolve(c: SandboxConnection): void; reject(e: Error): void }[] = [];
  private running = 0;
  private exclusiveRunning = false;
  private retired = 0;
  private retiredReason = '';
  private closing: Promise<void> | undefined;

  constructor(
    readonly connections: readonly SandboxConnection[],
    private readonly owned: readonly Sandbox[] = [],
    private readonly release: () => void = () => undefined,
  ) {
    if (connections.length === 0) throw new Error('a sandbox pool needs at least one sandbox');
    this.free = [...connections];
  }

  /** A pool of sandboxes this process started (and stops on close). */
  static ofStarted(sandboxes: readonly Sandbox[], release?: () => void): SandboxPool {
    return new SandboxPool(
      sandboxes.map((s) => connectionFrom(s.info, s.layout)),
      sandboxes,
      release,
    );
  }

  get size(): number {
    return this.connections.length;
  }

  get runtime(): RuntimeName {
    return this.connections[0]!.runtime;
  }

  /**
   * Run `work` on a free sandbox. `retire` looks at the outcome: a reason retires that sandbox
   * (it is not handed out again), null returns it to the pool.
   */
  async use<T>(work: (conn: SandboxConnection) => Promise<T>, retire: (outcome: T) => string | null = () => null, options: { exclusive?: boolean } = {}): Promise<T> {
    const exclusive = options.exclusive ?? false;
    const conn = await this.acquire(exclusive);
    let reason: string | null = null;
    try {
      const outcome = await work(conn);
      reason = retire(outcome);
      return outcome;
    } finally {
      this.running -= 1;
      if (exclusive) this.exclusiveRunning = false;
      if (reason === null) this.free.push(conn);
      else this.retire(reason);
      this.grant();
    }
  }

  /** Stops the sandboxes this pool started. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.release();
      await Promise.all(this.owned.map((s) => s.stop()));
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private acquire(exclusive: boolean): Promise<SandboxConnection> {
    if (this.retired === this.connections.length) return Promise.reject(this.noneLeft());
    const granted = new Promise<SandboxConnection>((resolve, reject) => this.waiters.push({ exclusive, resolve, reject }));
    this.grant();
    return granted;
  }

  /** Starts waiting jobs in order while the head of the queue may start. */
  private grant(): void {
    for (;;) {
      const head = this.waiters[0];
      if (!head || this.free.length === 0 || this.exclusiveRunning || (head.exclusive && this.running > 0)) return;
      this.waiters.shift();
      this.running += 1;
      if (head.exclusive) this.exclusiveRunning = true;
      head.resolve(this.free.shift()!);
    }
  }

  private retire(reason: string): void {
    this.retired += 1;
    this.retiredReason = reason;
    if (this.retired < this.connections.length) return;
    for (const w of this.waiters.splice(0)) w.reject(this.noneLeft());
  }

  private noneLeft(): SandboxError {
    return new SandboxError('SANDBOX_NOT_CLEAN', `not run: ${this.retiredReason}`, {
      hint: 'every sandbox of this run stopped taking scenarios; see the errored scenario before it',
    });
  }
}
