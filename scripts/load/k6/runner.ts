import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxError } from '../../core/errors.ts';
import { assertLoopback, type LoadProfile, type LoadSummary } from '../profile.ts';
import { findK6, k6MissingError } from './binary.ts';
import { k6DeadlineMs } from './options.ts';
import { generateK6Script } from './script.ts';

export { findK6, k6MissingError, K6_INSTALL_URL } from './binary.ts';
import { emptyK6Summary, parseK6Summary } from './summary.ts';

export interface K6RunOptions {
  signal?: AbortSignal;
  /** The k6 executable; default: `k6` found on PATH. */
  binary?: string;
  /** Keep the generated script and summary here instead of a temporary directory that is removed. */
  workDir?: string;
  payloadPoolSize?: number;
  title?: string;
}

/**
 * Run the profile with k6: generate the script, `k6 run --quiet --summary-export <file> <script>`,
 * and read the export back as the builtin driver's LoadSummary. Loopback targets only; the child
 * gets no K6_* variables from this environment (no outputs, no cloud) and no usage report, is
 * interrupted on abort and killed if it overruns its schedule.
 */
export async function runK6(profile: LoadProfile, options: K6RunOptions = {}): Promise<LoadSummary> {
  assertLoopback(profile.baseUrl);
  const binary = options.binary ?? findK6();
  if (!binary) throw k6MissingError();
  const script = generateK6Script({
    ...profile,
    maxVUs: profile.maxInFlight ?? 256,
    ...(options.payloadPoolSize !== undefined ? { payloadPoolSize: options.payloadPoolSize } : {}),
    ...(options.title !== undefined ? { title: options.title } : {}),
  });
  const dir = options.workDir ?? mkdtempSync(join(tmpdir(), 'sandbox-k6-'));
  const scriptFile = join(dir, 'load.js');
  const summaryFile = join(dir, 'summary.json');
  writeFileSync(scriptFile, script);
  rmSync(summaryFile, { force: true });
  try {
    const { code, stderr, aborted } = await spawnK6(binary, ['run', '--quiet', '--no-usage-report', '--summary-export', summaryFile, scriptFile], {
      signal: options.signal,
      deadlineMs: k6DeadlineMs(profile.durationSeconds),
    });
    if (existsSync(summaryFile)) {
      try {
        return parseK6Summary(JSON.parse(readFileSync(summaryFile, 'utf8')));
      } catch (e) {
        throw new SandboxError('COMPONENT_DIED', `k6 wrote an unreadable summary export: ${(e as Error).message}`, { details: stderr });
      }
    }
    if (aborted) return emptyK6Summary();
    throw new SandboxError('COMPONENT_DIED', `k6 exited with ${code} without writing its summary`, {
      details: stderr,
      hint: `run the script by hand to see why: ${binary} run ${scriptFile} (pass workDir to keep it)`,
    });
  } finally {
    if (!options.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

function spawnK6(
  binary: string,
  args: string[],
  opts: { signal: AbortSignal | undefined; deadlineMs: number },
): Promise<{ code: string; stderr: string[]; aborted: boolean }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('K6_')));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, K6_NO_USAGE_REPORT: 'true' } });
    const tail: string[] = [];
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
    const interrupt = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT: k6 stops the scenario and still writes its summary; SIGKILL if it does not exit.
      child.kill('SIGINT');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), 5000);
    };
    const onAbort = () => {
      aborted = true;
      interrupt();
    };
    const onExit = () => child.kill('SIGKILL');
    const deadline = setTimeout(interrupt, opts.deadlineMs);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    process.once('exit', onExit);
    const done = () => {
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', onExit);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(e.code === 'ENOENT' ? k6MissingError() : new SandboxError('COMPONENT_DIED', `cannot start k6 (${binary}): ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      done();
      resolve({ code: signal ? `signal ${signal}` : `code ${code}`, stderr: tail, aborted });
    });
  });
}

