/**
 * The last lines of a container's output, kept in memory: a failed start reports them at once,
 * without racing the log file's asynchronous writes.
 */
export class LineTail {
  private readonly kept: string[] = [];
  private partial = '';

  constructor(private readonly max: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.kept.push(line);
      if (this.kept.length > this.max) this.kept.shift();
    }
  }

  lines(): string[] {
    const all = this.partial.trim() === '' ? this.kept : [...this.kept, this.partial];
    return all.slice(-this.max);
  }
}
