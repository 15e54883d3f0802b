import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, SandboxError } from '../../core/errors.ts';
import { createReporters } from '../../reporters/index.ts';
import { connectionFrom } from '../../runtime/connection.ts';
import { parseRuntimeChoice } from '../../runtime/select-runtime.ts';
import { parseWithout } from '../../runtime/components.ts';
import { refuseUnrunnableK6 } from '../../load/k6/preflight.ts';
import type { AttachTarget } from '../../runtime/attached/attached-runtime.ts';
import { reapStale, startSandbox, type Sandbox } from '../../runtime/session.ts';
import { readDetectionConfigFromApi } from '../../scenario/detection-bounds.ts';
import { resolveScenarioArgs } from '../../scenario/discover.ts';
import type { Scenario } from '../../scenario/model.ts';
import type { Reporter, SuiteReport } from '../../scenario/result.ts';
import { prepareScenarios, runSuite } from '../../scenario/suite.ts';
import { nextUsableOffset } from '../../stack/catalog.ts';
import { err, layoutFrom, out, portOffsetFrom, type GlobalOptions } from '../context.ts';

export interface RunOptions extends GlobalOptions {
  runtime: string;
  /** `--without grafana,loki` (default: SANDBOX_WITHOUT). */
  without?: string;
  remediation: boolean;
  reportDir?: string;
  reporter?: string[];
  quiet?: boolean;
  parallel?: string;
  attach?: boolean;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  lokiUrl?: string;
  tempoUrl?: string;
}

/** `--attach --prometheus-url U --alertmanager-url U [--loki-url U] [--tempo-url U]`, checked together. */
export function attachTargetFrom(opts: Pick<RunOptions, 'attach' | 'prometheusUrl' | 'alertmanagerUrl' | 'lokiUrl' | 'tempoUrl'>): AttachTarget | undefined {
  const urls = [
    ['--prometheus-url', opts.prometheusUrl, true],
    ['--alertmanager-url', opts.alertmanagerUrl, true],
    ['--loki-url', opts.lokiUrl, false],
    ['--tempo-url', opts.tempoUrl, false],
  ] as const;
  if (!opts.attach) {
    const given = urls.filter(([, v]) => v).map(([flag]) => flag);
    if (given.length > 0) throw new SandboxError('INVALID_ARGUMENT', `${given.join(' and ')} need${given.length === 1 ? 's' : ''} --attach`, { hint: 'add --attach' });
    return undefined;
  }
  const bad: string[] = [];
  for (const [flag, v, required] of urls) {
    if (!v) {
      if (required) bad.push(`${flag} is missing`);
    } else if (!URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) bad.push(`${flag} "${v}" is not an http(s) URL`);
  }
  if (bad.length > 0) {
    throw new SandboxError('INVALID_ARGUMENT', `--attach: ${bad.join('; ')}`, { hint: 'e.g. --attach --prometheus-url http://127.0.0.1:9090 --alertmanager-url http://127.0.0.1:9093' });
  }
  const base = (u: string) => u.replace(/\/$/, '');
  return {
    prometheusUrl: base(opts.prometheusUrl!),
    alertmanagerUrl: base(opts.alertmanagerUrl!),
    ...(opts.lokiUrl ? { lokiUrl: base(opts.lokiUrl) } : {}),
    ...(opts.tempoUrl ? { tempoUrl: base(opts.tempoUrl) } : {}),
  };
}

/** Ports of parallel shards sit this far apart; a sandbox's own ports never collide with them. */
const SHARD_PORT_STEP = 50;

/**
 * `sandbox run` uses the running sandbox (or starts one for the run); `sandbox test` always
 * starts its own, writes every report, and tears down: the CI form.
 */
export async function runCommand(args: string[], opts: RunOptions, mode: 'run' | 'test'): Promise<number> {
  const layout = layoutFrom(opts);
  const attach = attachTargetFrom(opts);
  const detection = attach ? await readDetectionConfigFromApi(attach.prometheusUrl, attach.alertmanagerUrl) : undefined;
  const scenarios = prepareScenarios(resolveScenarioArgs(args), (w) => err(`warning: ${w}`), detection);
  const reportDir = resolve(opts.reportDir ?? layout.reportsDir);
  const names = opts.reporter ?? (mode === 'test' || opts.reportDir ? ['terminal', 'json', 'junit', 'html', 'markdown'] : ['terminal']);
  const reporters = createReporters(names, { reportDir, quiet: opts.quiet ?? false });
  const { report, interrupted } = await executeSuite(scenarios, opts, mode, reporters);
  if (names.some((n) => n !== 'terminal')) out(`reports: ${reportDir}`);
  if (interrupted) return ExitCode.interrupted;
  if (report.passed) return ExitCode.ok;
  if (report.scenarios.some((s) => s.outcome === 'failed')) return ExitCode.scenarioFailed;
  return ExitCode.environment;
}

/**
 * Run scenarios on the running sandbox (`run`), or on sandboxes of its own that it tears down
 * afterwards (`test`, `scorecard`), with Ctrl-C turned into an orderly stop: faults cleared,
 * reports written, everything stopped.
 */
export async function executeSuite(
  scenarios: readonly Scenario[],
  opts: RunOptions,
  mode: 'run' | 'test',
  reporters: readonly Reporter[],
): Promise<{ report: SuiteReport; interrupted: boolean }> {
  const layout = layoutFrom(opts);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    err('\ninterrupted: clearing faults, writing reports and stopping (Ctrl-C again does not skip cleanup)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const owned: Sandbox[] = [];
  try {
    const stale = await reapStale(layout);
    let conns;
    const attach = attachTargetFrom(opts);
    if (stale.running && mode === 'run' && !attach) {
      // k6 load that cannot run on this sandbox is refused before any scenario starts.
      await refuseUnrunnableK6(scenarios, stale.running.runtime);
      conns = [connectionFrom(stale.running, layout)];
      out(`using the running sandbox (session ${stale.running.session})`);
    } else if (stale.running) {
      throw new SandboxError('SANDBOX_ALREADY_RUNNING', `a sandbox is already running from ${layout.root}`, {
        hint: 'this command starts and tears down its own: stop the running one (`npx sandbox down`), use `npx sandbox run`, or give this one its own --state-dir and --port-offset',
      });
    } else {
      // Before any sandbox starts: k6 load that cannot run here (no binary, no image) is refused.
      await refuseUnrunnableK6(scenarios, attach ? 'attached' : parseRuntimeChoice(opts.runtime));
      // Shard 0 is the usual sandbox; more shards get their own state dir and ports.
      const shards = attach ? 1 : Math.min(parallelism(opts.parallel, mode), scenarios.length) || 1;
      if (shards > 1) out(`running ${scenarios.length} scenarios on ${shards} sandboxes in parallel`);
      const base = portOffsetFrom(opts);
      // Each further shard takes the next step whose ports are all usable (none on a fetch "bad port").
      const offsets = [base];
      while (offsets.length < shards) offsets.push(nextUsableOffset(offsets.at(-1)! + SHARD_PORT_STEP, SHARD_PORT_STEP));
      const start = (i: number) =>
        startSandbox({
          runtime: parseRuntimeChoice(opts.runtime),
          without: parseWithout(opts.without),
          stateDir: i === 0 ? layout.root : join(layout.root, 'shards', String(i)),
          portOffset: offsets[i]!,
          remediation: opts.remediation,
          log: i === 0 ? out : () => undefined,
          ...(attach ? { attach } : {}),
        });
      // Shard 0 first: its start reaps what killed runs left under shards/, which must not
      // meet shards that are starting right now.
      owned.push(await start(0));
      const started = await Promise.allSettled(Array.from({ length: shards - 1 }, (_, i) => start(i + 1)));
      for (const r of started) if (r.status === 'fulfilled') owned.push(r.value);
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      conns = owned.map((o) => connectionFrom(o.info, o.layout));
      if (attach) out(`attached: your Prometheus must scrape the sandbox's services; file_sd targets are in ${join(owned[0]!.layout.configDir('prometheus'), 'targets')}`);
    }
    const detection = attach ? await readDetectionConfigFromApi(attach.prometheusUrl, attach.alertmanagerUrl) : undefined;
    const report = await runSuite(conns, scenarios, {
      remediation: opts.remediation,
      reporters,
      runtime: conns[0]!.runtime,
      signal: abort.signal,
      ...(detection ? { detection } : {}),
    });
    return { report, interrupted: abort.signal.aborted };
  } finally {
    await Promise.all(owned.map((o) => o.stop()));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * How many sandboxes `test` runs side by side: by default one per core, at most three. Each is
 * a Prometheus, an Alertmanager and four Node processes at a few percent of a core, but CPU
 * scenarios need a core of their own: three sandboxes on two cores starve cpu-saturation.
 */
function parallelism(value: string | undefined, mode: 'run' | 'test'): number {
  if (value === undefined || value === 'auto') return mode === 'test' ? Math.max(1, Math.min(3, availableParallelism())) : 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new SandboxError('INVALID_ARGUMENT', `--parallel "${value}" must be a whole number from 1 to 8, or auto`, { hint: 'e.g. --parallel 2' });
  }
  return n;
}
