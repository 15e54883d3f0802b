import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';

/**
 * The service logger's stdout is buffered (logger.ts): these run a real logger in a child process
 * and read its stdout as the supervisor's log file would get it.
 */
function runLogger(body: string): { lines(): Record<string, unknown>[]; exited: Promise<number | null>; kill(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'logger-test-'));
  const script = join(dir, 'run.ts');
  writeFileSync(
    script,
    `import { createLogger } from ${JSON.stringify(join(PROJECT_ROOT, 'sample-services/shared/logger.ts'))};\nconst log = createLogger('svc', 'info');\n${body}\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('close', (code) => ok(code)));
  return {
    lines: () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

const waitFor = async (ok: () => boolean, ms: number) => {
  for (const until = Date.now() + ms; !ok() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
  return ok();
};

describe('service logger stdout', () => {
  it('writes every line whole, in order, before process.exit', async () => {
    const p = runLogger(`for (let i = 0; i < 5000; i++) log.info({ i, pad: 'x'.repeat(i % 300) }, 'line');\nprocess.exit(3);`);
    expect(await p.exited).toBe(3);
    const lines = p.lines();
    expect(lines).toHaveLength(5000);
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(lines[0]).toMatchObject({ service: 'svc', level: 'info', msg: 'line' });
  });

  it('keeps buffered lines when the process dies of an uncaught exception', async () => {
    const p = runLogger(`log.info('before the crash');\nsetImmediate(() => { throw new Error('boom'); });`);
    expect(await p.exited).not.toBe(0);
    expect(p.lines().map((l) => l.msg)).toEqual(['before the crash']);
  });

  it('keeps the last lines of a service the crash fault ends (exitSoon, as crash and crash-loop do)', async () => {
    // The info lines are still in the buffer when the fatal line comes; process.exit must not lose them.
    const exitSoon = JSON.stringify(join(PROJECT_ROOT, 'sample-services/shared/chaos/exit-soon.ts'));
    const p = runLogger(`import(${exitSoon}).then(({ exitSoon }) => {\nlog.info('request 1');\nlog.info('request 2');\nexitSoon(log, 7, 5, 'fatal error: process crashed');\n});`);
    expect(await p.exited).toBe(7);
    expect(p.lines().map((l) => [l.level, l.msg])).toEqual([
      ['info', 'request 1'],
      ['info', 'request 2'],
      ['fatal', 'fatal error: process crashed'],
    ]);
  });

  it('writes an info line soon while the process keeps running, a warning at once', async () => {
    // After the warning the process never yields again: only a write made at once gets it out.
    const p = runLogger(`log.info('idle line');\nsetTimeout(() => { log.info('queued'); log.warn('alarm'); for (;;); }, 300);`);
    try {
      expect(await waitFor(() => p.lines().some((l) => l.msg === 'idle line'), 5000)).toBe(true);
      expect(await waitFor(() => p.lines().some((l) => l.msg === 'alarm'), 5000)).toBe(true);
      expect(p.lines().map((l) => l.msg)).toEqual(['idle line', 'queued', 'alarm']);
    } finally {
      p.kill();
    }
  });
});
