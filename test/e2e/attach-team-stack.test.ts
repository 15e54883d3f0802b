import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../scripts/runtime/paths.ts';
import { attachTargetsDir, attachTargetsFile } from '../../scripts/runtime/attached/targets.ts';
import { attachTokenFile } from '../../scripts/runtime/attached/token-file.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';
import { processesMentioning } from '../helpers/leftovers.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
async function ready(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await fetch(`${url}/-/ready`).then((r) => r.ok).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not get ready`);
}
async function activeTargets(prom: string): Promise<{ discoveredLabels: Record<string, string>; labels: Record<string, string> }[]> {
  const body = (await (await fetch(`${prom}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { discoveredLabels: Record<string, string>; labels: Record<string, string> }[] } };
  return body.data.activeTargets;
}

/**
 * Issue 17: a team's own stack, written from scratch as the README's attach section says: the
 * Debian Prometheus 2.42 and Alertmanager 0.25 binaries, their own rules (an always-firing
 * Watchdog, a flapping alert about something else) and their own routes (a dead man's switch, a
 * pager), with what `sandbox attach config` prints merged in. Started before the sandbox, as a
 * team's stack would be. Then `sandbox test --attach` must pass built-in scenarios, keep the
 * team's alerts out of the verdict (recorded as background), and leave no targets behind; and
 * what cannot work must be refused before any fault, saying what to fix.
 */
describe('sandbox test --attach against a team’s Prometheus 2.42 and Alertmanager 0.25', () => {
  const procs: ChildProcess[] = [];
  let prom: string;
  let am: string;
  let sandbox: Awaited<ReturnType<typeof isolatedSandbox>>;
  /** A second sandbox's state dir, globbed by the team with file_sd's default-ish 5m refresh. */
  let late: Awaited<ReturnType<typeof isolatedSandbox>>;

  beforeAll(async () => {
    sandbox = await isolatedSandbox('e2e-attach-');
    late = await isolatedSandbox('e2e-attach-late-');
    const printed = await runCli(['attach', 'config'], sandbox.env, 30_000);
    expect(printed.code, printed.stderr).toBe(0);
    const [promPart, amPart] = parseAllDocuments(printed.stdout).map((d) => d.toJS()) as [
      { global: Record<string, string>; rule_files: string[]; scrape_configs: object[] },
      { route: { routes: object[] }; receivers: { name: string; webhook_configs: { http_config?: unknown }[] }[] },
    ];
    // Every printed receiver sends the session's token, read from the state dir's token file
    // (the sink and the controller refuse deliveries without it).
    for (const r of amPart.receivers) {
      expect(r.webhook_configs[0]!.http_config, r.name).toEqual({ authorization: { type: 'Bearer', credentials_file: attachTokenFile(sandbox.stateDir) } });
    }
    const dir = mkdtempSync(join(tmpdir(), 'team-stack-'));
    const [pp, ap] = [await freePort(), await freePort()];
    prom = `http://127.0.0.1:${pp}`;
    am = `http://127.0.0.1:${ap}`;
    writeFileSync(
      join(dir, 'team-rules.yml'),
      stringify({
        groups: [
          {
            name: 'team',
            rules: [
              // Every team has one: proves the alerting pipeline works, fires forever.
              { alert: 'Watchdog', expr: 'vector(1)', labels: { severity: 'none' }, annotations: { summary: 'dead man’s switch' } },
              // About the team's own systems; fires for 10 s of every 20 s, during the scenarios too.
              { alert: 'NightlyJobLate', expr: 'vector(time()) % 20 > 10', labels: { severity: 'warning', team: 'data' } },
            ],
          },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '15s', ...promPart.global, external_labels: { cluster: 'ci' } },
        rule_files: [...promPart.rule_files, 'team-rules.yml'],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${ap}`] }] }] },
        scrape_configs: [
          { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${pp}`] }] },
          ...promPart.scrape_configs,
          // The setup: another sandbox's whole targets dir, globbed, with a slow refresh,
          // whose directory does not exist yet when Prometheus starts.
          { job_name: 'sandbox-late', scrape_interval: '1s', scrape_timeout: '800ms', file_sd_configs: [{ files: [join(attachTargetsDir(late.stateDir), '*.json')], refresh_interval: '5m' }] },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      stringify({
        route: {
          receiver: 'team-default',
          group_by: ['alertname'],
          routes: [
            ...amPart.route.routes,
            { matchers: ['alertname="Watchdog"'], receiver: 'deadmansswitch', repeat_interval: '1m' },
            { matchers: ['severity="critical"'], receiver: 'pagerduty' },
          ],
        },
        receivers: [
          { name: 'team-default' },
          { name: 'deadmansswitch' },
          // The team's real pager (here a closed port on loopback): its name is one a scenario uses.
          { name: 'pagerduty', pagerduty_configs: [{ url: 'http://127.0.0.1:9/v2/enqueue', routing_key: 'team-key' }] },
          ...amPart.receivers,
        ],
      }),
    );
    const log = (name: string) => openSync(join(dir, `${name}.log`), 'a');
    procs.push(
      spawn('prometheus', [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${pp}`], { stdio: ['ignore', 'ignore', log('prometheus')] }),
      spawn('prometheus-alertmanager', [`--config.file=${dir}/alertmanager.yml`, `--storage.path=${dir}/am`, `--web.listen-address=127.0.0.1:${ap}`, '--cluster.listen-address='], {
        stdio: ['ignore', 'ignore', log('alertmanager')],
      }),
    );
    await Promise.all([ready(prom), ready(am)]).catch((e: Error) => {
      const tail = (n: string) => readFileSync(join(dir, `${n}.log`), 'utf8').split('\n').slice(-5).join('\n');
      throw new Error(`${e.message}\nprometheus:\n${tail('prometheus')}\nalertmanager:\n${tail('alertmanager')}`);
    });
    // The Watchdog fires before any scenario starts.
    for (let i = 0; i < 50; i++) {
      const alerts = (await (await fetch(`${prom}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      if (alerts.data.alerts.some((a) => a.labels.alertname === 'Watchdog' && a.state === 'firing')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);
  afterAll(() => procs.forEach((p) => p.kill('SIGKILL')));

  const attachArgs = () => ['--attach', '--prometheus-url', `${prom}/api/v1/`, '--alertmanager-url', `${am}/#/alerts`];

  it('passes a quiet scenario and service-crash with the team’s alerts firing, recording them as background, and leaves no targets behind', async () => {
    const reportDir = join(sandbox.stateDir, 'reports');
    // Nothing happens for 20 s: only the team's alerts fire, and noOtherAlerts must not count them.
    // (Not the built-in baseline: on a Prometheus whose history the sandbox cannot reset and with
    // no blackbox probes, the services' request series begin with the load, and TrafficAnomaly's
    // busy-baseline guard then sees only the first seconds of load; see the report of issue 17.)
    const quiet = join(mkdtempSync(join(tmpdir(), 'attach-quiet-')), 'quiet.yaml');
    writeFileSync(quiet, 'name: quiet\ndescription: no load, no fault\nload: { rate: 0, duration: 20s }\nexpect:\n  - noOtherAlerts: true\n');
    const r = await runCli(['test', quiet, 'service-crash', ...attachArgs(), '-q', '--report-dir', reportDir], sandbox.env, 200_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`note: --prometheus-url ${prom}/api/v1/ taken as ${prom} (the base URL)`);
    expect(r.stdout).toContain(`attached: ${prom} scrapes the sandbox's services`);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report.runtime).toBe('attached');
    const [quietResult, crash] = report.scenarios;
    expect(quietResult).toMatchObject({ name: 'quiet', outcome: 'passed' });
    expect(quietResult.expectations).toEqual([expect.objectContaining({ kind: 'noOtherAlerts', passed: true })]);
    expect(crash).toMatchObject({ name: 'service-crash', outcome: 'passed' });
    for (const s of [quietResult, crash]) {
      expect(s.backgroundAlerts).toEqual(expect.arrayContaining([expect.objectContaining({ alert: 'Watchdog', state: 'firing', reason: 'firing-before-start' })]));
      // Never an alert-firing event for the team's alerts: the verdict cannot see them.
      expect(s.timeline.filter((e: { kind: string; alert?: string }) => e.kind === 'alert-firing' && ['Watchdog', 'NightlyJobLate'].includes(e.alert!))).toEqual([]);
    }
    // The flapping team alert fired during the quiet 20 s: background, not "another alert".
    expect(quietResult.backgroundAlerts.map((b: { alert: string }) => b.alert)).toContain('NightlyJobLate');
    // Notified through the printed sandbox-pagerduty receiver, recorded by the sink as pagerduty.
    expect(crash.expectations.find((e: { kind: string }) => e.kind === 'notification')).toMatchObject({ passed: true, name: 'pagerduty: ServiceDown' });
    // Bounded by the printed sandbox route (group_wait 1s), not the team's pager route (30s default).
    expect(crash.metrics.notificationCeilingSeconds).toBeLessThan(10);
    expect(r.stdout).toMatch(/background alerts, not judged: .*Watchdog \(firing before the scenario\)/);

    // Targets files and the token file do not outlive the sandbox; the directory stays watched.
    expect(existsSync(attachTokenFile(sandbox.stateDir))).toBe(false);
    expect(existsSync(attachTargetsFile(sandbox.stateDir, 'sample-services'))).toBe(false);
    expect(existsSync(attachTargetsFile(sandbox.stateDir, 'sandbox'))).toBe(false);
    expect(existsSync(attachTargetsDir(sandbox.stateDir))).toBe(true);
    let left = await activeTargets(prom);
    for (let i = 0; i < 50 && left.some((t) => t.labels.job !== 'prometheus'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      left = await activeTargets(prom);
    }
    expect(left.map((t) => t.labels.job)).toEqual(['prometheus']);
    expect(processesMentioning(sandbox.stateDir)).toEqual([]);
    // The targets were withdrawn before the services stopped: the team's Prometheus never saw
    // them down, so no ServiceDown alerts (or pages) after the run. (What the crash left in the
    // rules' range windows, error rates and budget burn, fades on its own.)
    await new Promise((res) => setTimeout(res, 3000));
    const after = (await (await fetch(`${prom}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string> }[] } };
    expect(after.data.alerts.filter((a) => a.labels.alertname === 'ServiceDown')).toEqual([]);
  }, 240_000);

  it('leaves no targets for the team’s Prometheus when the CLI is killed (the reaper removes them)', async () => {
    const quiet = join(mkdtempSync(join(tmpdir(), 'attach-kill-')), 'quiet.yaml');
    writeFileSync(quiet, 'name: quiet\nload: { rate: 0, duration: 60s }\nexpect:\n  - noOtherAlerts: true\n');
    const { child } = await startCli(['test', quiet, ...attachArgs()], sandbox.env, /RUN\s+quiet/, 60_000);
    expect(existsSync(attachTargetsFile(sandbox.stateDir, 'sample-services'))).toBe(true);
    expect(statSync(attachTokenFile(sandbox.stateDir)).mode & 0o777).toBe(0o600);
    child.kill('SIGKILL');
    for (let i = 0; i < 100 && existsSync(attachTargetsFile(sandbox.stateDir, 'sample-services')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(attachTargetsFile(sandbox.stateDir, 'sample-services'))).toBe(false);
    expect(existsSync(attachTargetsFile(sandbox.stateDir, 'sandbox'))).toBe(false);
    expect(existsSync(attachTokenFile(sandbox.stateDir))).toBe(false);
    for (let i = 0; i < 100 && processesMentioning(sandbox.stateDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesMentioning(sandbox.stateDir)).toEqual([]);
    // The next command clears the killed session's record.
    expect((await runCli(['down'], sandbox.env, 30_000)).code).toBe(0);
    expect(existsSync(join(sandbox.stateDir, 'session.json'))).toBe(false);
  }, 90_000);

  it('refuses before anything starts: a receiver it cannot observe, a runtime, a missing k6', async () => {
    const scenarios = mkdtempSync(join(tmpdir(), 'attach-scenarios-'));
    const crash = readFileSync(join(PROJECT_ROOT, 'scenarios/service-crash.yaml'), 'utf8');
    writeFileSync(join(scenarios, 'opsgenie.yaml'), crash.replace('name: service-crash', 'name: opsgenie').replace('receiver: pagerduty', 'receiver: opsgenie'));
    const started = Date.now();
    const r = await runCli(['test', join(scenarios, 'opsgenie.yaml'), ...attachArgs()], sandbox.env, 60_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(`error[INVALID_CONFIG]: the Alertmanager at ${am} cannot deliver what a scenario expects`);
    expect(r.stderr).toMatch(/opsgenie\.yaml:\d+:\d+: expect\[1\]: no receiver of your Alertmanager delivers to the sandbox's notification sink as opsgenie \(its receivers: team-default, deadmansswitch, pagerduty, sandbox-log/);
    expect(r.stderr).toContain('hint: `npx sandbox attach config` prints the receivers');
    // The team's own pagerduty receiver pages elsewhere: the printed sandbox-pagerduty is what counts (no error for it).
    expect(r.stderr).not.toMatch(/receiver pagerduty of your Alertmanager/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(join(sandbox.stateDir, 'session.json'))).toBe(false);

    const docker = await runCli(['test', 'baseline', ...attachArgs(), '--runtime', 'docker'], sandbox.env, 30_000);
    expect(docker.code).toBe(2);
    expect(docker.stderr).toContain('error[INVALID_ARGUMENT]: --runtime docker and --attach cannot be combined');

    writeFileSync(join(scenarios, 'k6.yaml'), readFileSync(join(PROJECT_ROOT, 'scenarios/baseline.yaml'), 'utf8').replace('name: baseline', 'name: k6-baseline').replace('  rate: 10', '  rate: 10\n  engine: k6'));
    const noK6 = { ...sandbox.env, PATH: (sandbox.env.PATH ?? '').split(':').filter((d) => !existsSync(join(d, 'k6'))).join(':') };
    const k6 = await runCli(['test', join(scenarios, 'k6.yaml'), ...attachArgs()], noK6, 30_000);
    expect(k6.code, `${k6.stdout}\n${k6.stderr}`).toBe(3);
    expect(k6.stderr).toMatch(/error\[BINARY_MISSING\]: .*k6\.yaml: load\.engine is k6, but the k6 binary was not found on PATH \(runtime attached\)/);
    expect(k6.stdout).not.toMatch(/ready|RUN /);
    expect(existsSync(join(sandbox.stateDir, 'session.json'))).toBe(false);
  }, 120_000);

  it('refuses a Prometheus that does not discover the sandbox’s targets in time, naming the file, the job and the refresh interval', async () => {
    const r = await runCli(['test', 'baseline', ...attachArgs()], late.env, 90_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(`error[INVALID_CONFIG]: the Prometheus at ${prom} does not scrape the sandbox's services`);
    expect(r.stderr).toContain(
      `${attachTargetsFile(late.stateDir, 'sample-services')} is read (job sandbox-late, refresh_interval 5m) but Prometheus has not discovered 127.0.0.1:`,
    );
    expect(r.stderr).toContain('set refresh_interval: 1s');
    expect(r.stdout).not.toMatch(/^RUN /m);
    // The sandbox it started is gone, and so are its targets.
    expect(existsSync(attachTargetsFile(late.stateDir, 'sample-services'))).toBe(false);
    expect(processesMentioning(late.stateDir)).toEqual([]);
  }, 120_000);
});
