import { SandboxError } from '../core/errors.ts';
import { tailOfFile } from './processes/managed-process.ts';
import type { StackActionReport } from './control-api.ts';
import type { StateLayout } from './state.ts';
import type { StackRuntime } from './types.ts';

/**
 * Prometheus runs without its lifecycle and admin APIs (no web page can reload or wipe it); the
 * two things the sandbox needed them for go through the runtime that owns the process instead,
 * behind the control API's token: a reload is SIGHUP, forgetting history is a restart on an
 * empty TSDB.
 */
const RELOADABLE = new Set(['prometheus']);

/**
 * SIGHUP, then wait for Prometheus' own verdict: `prometheus_config_last_reload_successful` and
 * the success timestamp moving past the one before the signal. A refused configuration (a rule
 * file's parse error) comes back with Prometheus' message from its log.
 */
export async function reloadPrometheus(runtime: StackRuntime, component: string, layout: StateLayout, timeoutMs = 10_000): Promise<StackActionReport> {
  if (!RELOADABLE.has(component)) throw new SandboxError('INVALID_ARGUMENT', `"${component}" cannot be reloaded; only prometheus can`);
  const url = runtime.status().find((c) => c.name === component && c.state === 'ready')?.url;
  if (!url || !runtime.signal) return { component, ok: false, detail: `${component} is not running in this runtime` };
  const before = await reloadMetrics(url);
  await runtime.signal(component, 'SIGHUP');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await reloadMetrics(url).catch(() => null);
    if (now && now.successAt > before.successAt && now.successful) return { component, ok: true, detail: 'configuration reloaded' };
    // A failure shows as the flag dropping to 0; if it was 0 already, only the deadline tells.
    const failed = now !== null && !now.successful && (before.successful || Date.now() > deadline);
    if (failed) {
      const errors = tailOfFile(layout.logFile(component), 40).filter((l) => /error/i.test(l)).slice(-3);
      return { component, ok: false, detail: errors.length > 0 ? errors.map(logMessage).join('; ') : 'Prometheus refused the configuration (see its log)' };
    }
    if (Date.now() > deadline) return { component, ok: false, detail: `no reload within ${timeoutMs / 1000}s of SIGHUP` };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Restart on an empty TSDB; ready again when it returns. */
export async function resetPrometheus(runtime: StackRuntime, component: string): Promise<StackActionReport> {
  if (!RELOADABLE.has(component)) throw new SandboxError('INVALID_ARGUMENT', `"${component}" cannot be reset; only prometheus can`);
  if (!runtime.restartFresh) return { component, ok: false, detail: `the ${runtime.name} runtime cannot restart ${component}` };
  await runtime.restartFresh(component);
  return { component, ok: true, detail: 'restarted on an empty data directory' };
}

async function reloadMetrics(url: string): Promise<{ successful: boolean; successAt: number }> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { successful: value('prometheus_config_last_reload_successful') === 1, successAt: value('prometheus_config_last_reload_success_timestamp_seconds') };
}

/** Prometheus logs JSON lines (--log.format=json): show the message and the error. */
function logMessage(line: string): string {
  try {
    const l = JSON.parse(line) as { msg?: string; err?: string };
    return [l.msg, l.err].filter(Boolean).join(': ');
  } catch {
    return line;
  }
}
