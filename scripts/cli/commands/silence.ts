import { userInfo } from 'node:os';
import { formatMatchers, parseMatchers, SilenceClient } from '../../alerting/silences.ts';
import { SandboxError } from '../../core/errors.ts';
import { parseDuration } from '../../core/duration.ts';
import { connectToRunning } from '../../runtime/connection.ts';
import { layoutFrom, out, type GlobalOptions } from '../context.ts';

async function client(opts: GlobalOptions): Promise<SilenceClient> {
  const conn = connectToRunning(layoutFrom(opts));
  const am = (await conn.status()).components.find((c) => c.name === 'alertmanager');
  if (!am?.url || am.state !== 'ready') {
    throw new SandboxError('COMPONENT_DIED', `Alertmanager is ${am?.state ?? 'missing'} in this sandbox`, { hint: '`npx sandbox status` shows why' });
  }
  return new SilenceClient(am.url, conn.alertmanagerHeaders);
}

/** `sandbox silence add <matchers...> [--duration 1h] [--comment ...]`: a maintenance window. */
export async function silenceAddCommand(matchers: string[], opts: GlobalOptions & { duration: string; comment?: string }): Promise<number> {
  const parsed = parseMatchers(matchers);
  const seconds = parseDuration(opts.duration);
  if (seconds === null || seconds <= 0) {
    throw new SandboxError('INVALID_ARGUMENT', `--duration "${opts.duration}" is not a duration`, { hint: 'e.g. --duration 30m or 2h' });
  }
  const id = await (await client(opts)).create(parsed, seconds, opts.comment ?? 'maintenance window (sandbox silence add)', userInfo().username);
  out(`silenced ${formatMatchers(parsed)} for ${opts.duration}: ${id}`);
  return 0;
}

/** `sandbox silence list [--json] [--all]`: active and pending silences (expired with --all). */
export async function silenceListCommand(opts: GlobalOptions & { json?: boolean; all?: boolean }): Promise<number> {
  const silences = (await (await client(opts)).list()).filter((s) => opts.all || s.status.state !== 'expired');
  if (opts.json) {
    out(JSON.stringify(silences, null, 2));
    return 0;
  }
  if (silences.length === 0) out('no silences');
  for (const s of silences) out(`${s.id}  ${s.status.state.padEnd(7)}  until ${s.endsAt}  ${formatMatchers(s.matchers)}  ${s.comment}`);
  return 0;
}

/** `sandbox silence expire <id...>`: end silences early. */
export async function silenceExpireCommand(ids: string[], opts: GlobalOptions): Promise<number> {
  const c = await client(opts);
  for (const id of ids) {
    await c.expire(id);
    out(`expired ${id}`);
  }
  return 0;
}
