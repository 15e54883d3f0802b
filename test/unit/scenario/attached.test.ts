import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSandboxError } from '../../../scripts/core/errors.ts';
import { attachConfig } from '../../../scripts/runtime/attached/attach-config.ts';
import { attachTargetsFile, readAttachTargets, removeAttachTargets, writeAttachTargets } from '../../../scripts/runtime/attached/targets.ts';
import { attachTokenFile, removeAttachToken, writeAttachToken } from '../../../scripts/runtime/attached/token-file.ts';
import { isSandboxAlert, sandboxScope } from '../../../scripts/scenario/attached/alert-scope.ts';
import { alertmanagerReceivers, attachedRoutingProblems, sinkNamesOf } from '../../../scripts/scenario/attached/routing.ts';
import { jobsReading } from '../../../scripts/scenario/attached/scrapes.ts';
import { checkDetectionBudget, notificationBounds, parseAlertmanagerRoutes, type DetectionConfig } from '../../../scripts/scenario/detection-bounds.ts';
import { checkLoadEngines } from '../../../scripts/scenario/load-engines.ts';
import { parseNameMatcher, type Scenario } from '../../../scripts/scenario/model.ts';
import { describe as describeEvent, type TimelineEvent, type TimelineEventBody } from '../../../scripts/scenario/timeline.ts';
import { backgroundAlerts, evaluateExpectations } from '../../../scripts/scenario/verdict.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';
import { discoveryFiles } from '../../../scripts/stack/scrape-targets.ts';
import { stringify } from 'yaml';

const ports = portPlan(6100);
const stateDir = () => mkdtempSync(join(tmpdir(), 'attach-unit-'));
/** The targets a sandbox at `ports` writes for an attached Prometheus. */
function writeTargetsFor(dir: string): void {
  writeAttachTargets(
    dir,
    discoveryFiles({ host: '127.0.0.1', servicePort: (n) => ports.service(n), controlPort: ports.control, peer: () => '127.0.0.1:1', runs: () => false }),
  );
}

const base: Omit<Scenario, 'expectations'> = {
  name: 'crash',
  file: 'crash.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: 10, mttrSeconds: 30 },
  load: { rate: 10, durationSeconds: 30, requests: [] },
  faults: [{ type: 'crash', service: 'ml-service', atSeconds: 5, durationSeconds: null, params: {} }],
  repeat: { runs: 1, percentile: 100 },
};

describe('attach targets files', () => {
  it('list the sample services and the sandbox’s processes per job, and go away without their directory', () => {
    const dir = stateDir();
    writeTargetsFor(dir);
    const targets = readAttachTargets(dir);
    expect(targets.filter((t) => t.job === 'sample-services').map((t) => `${t.labels.service} ${t.target}`).sort()).toEqual([
      `api-gateway 127.0.0.1:${ports.service('api-gateway')}`,
      `ml-service 127.0.0.1:${ports.service('ml-service')}`,
    ]);
    expect(targets.filter((t) => t.job === 'sandbox').map((t) => t.labels.component).sort()).toEqual(['notification-sink', 'remediation-controller', 'supervisor']);
    expect(attachTargetsFile(dir, 'sandbox')).toBe(join(dir, 'attach', 'targets', 'sandbox.json'));
    removeAttachTargets(dir);
    expect(readAttachTargets(dir)).toEqual([]);
  });
});

describe('which alerts are the sandbox’s own', () => {
  const dir = stateDir();
  writeTargetsFor(dir);
  const scope = sandboxScope(dir);
  const ml = `127.0.0.1:${ports.service('ml-service')}`;
  it('own: about its services, by service, component or job, on its own ports', () => {
    expect(isSandboxAlert({ alertname: 'ServiceDown', service: 'ml-service', job: 'sample-services', instance: ml }, scope)).toBe(true);
    expect(isSandboxAlert({ alertname: 'HighErrorRate', service: 'api-gateway' }, scope)).toBe(true);
    expect(isSandboxAlert({ alertname: 'ServiceCrashLooping', service: 'ml-service', job: 'sandbox', instance: `127.0.0.1:${ports.control}` }, scope)).toBe(true);
    // A team relabels instance to a host name: still the sandbox's service.
    expect(isSandboxAlert({ alertname: 'ServiceDown', service: 'ml-service', instance: 'ci-runner-3:8081' }, scope)).toBe(true);
  });
  it('background: a Watchdog, the team’s own systems, an earlier sandbox’s targets on other ports', () => {
    expect(isSandboxAlert({ alertname: 'Watchdog', severity: 'none' }, scope)).toBe(false);
    expect(isSandboxAlert({ alertname: 'DiskFull', service: 'postgres', instance: 'db:9100' }, scope)).toBe(false);
    expect(isSandboxAlert({ alertname: 'ServiceDown', service: 'ml-service', job: 'sample-services', instance: '127.0.0.1:8081' }, scope)).toBe(false);
  });
});

const ev = (t: number, body: TimelineEventBody): TimelineEvent =>
  ({ ...body, t, at: new Date(Date.UTC(2026, 10, 22, 14, 0, 0) + t * 1000).toISOString(), detail: describeEvent(body) }) as TimelineEvent;

describe('background alerts in the verdict', () => {
  it('are recorded, never counted by noOtherAlerts, and named when an expected alert did not fire', () => {
    const scenario: Scenario = {
      ...base,
      expectations: [
        { kind: 'alert', alert: parseNameMatcher('ServiceDown'), labels: {}, withinSeconds: 10 },
        { kind: 'noOtherAlerts', enabled: true },
      ],
    };
    const timeline = [
      ev(0, { kind: 'scenario-start', scenario: 'crash' }),
      ev(0.1, { kind: 'background-alert', alert: 'Watchdog', labels: { severity: 'none' }, state: 'firing', reason: 'firing-before-start' }),
      ev(3, { kind: 'background-alert', alert: 'DiskFull', labels: { service: 'postgres' }, state: 'pending', reason: 'not-about-sandbox' }),
      ev(5, { kind: 'fault-start', fault: 'crash', service: 'ml-service', id: 'f' }),
    ];
    const [alert, others] = evaluateExpectations(scenario, timeline);
    expect(others).toMatchObject({ kind: 'noOtherAlerts', passed: true });
    expect(alert!.message).toBe('expected alert ServiceDown firing within 10s, but no alert fired; 2 background alerts not judged');
    expect(backgroundAlerts(timeline)).toEqual([
      { alert: 'Watchdog', labels: { severity: 'none' }, state: 'firing', reason: 'firing-before-start', firstSeenSeconds: 0.1 },
      { alert: 'DiskFull', labels: { service: 'postgres' }, state: 'pending', reason: 'not-about-sandbox', firstSeenSeconds: 3 },
    ]);
    expect(timeline[1]!.detail).toBe('Watchdog firing in the background (already firing before the scenario started): not judged');
  });
});

/** A team's alertmanager.yml with the printed sandbox receivers and route merged in. */
function teamAlertmanager(withSandbox = true): string {
  const printed = attachConfig({ stateDir: '/s', ports }).alertmanager as { route: { routes: unknown[] }; receivers: unknown[] };
  return stringify({
    route: {
      receiver: 'team-default',
      routes: [...(withSandbox ? printed.route.routes : []), { matchers: ['alertname="Watchdog"'], receiver: 'deadmansswitch' }, { matchers: ['severity="critical"'], receiver: 'pagerduty' }],
    },
    receivers: [
      { name: 'team-default' },
      { name: 'deadmansswitch', webhook_configs: [{ url: 'https://nosnch.in/abc' }] },
      { name: 'pagerduty', pagerduty_configs: [{ url: 'https://events.pagerduty.com/v2/enqueue', routing_key: '<secret>' }] },
      { name: 'chat', slack_configs: [{ api_url: '<secret>', channel: '#ops' }] },
      ...(withSandbox ? printed.receivers : []),
    ],
  });
}

describe('attached routing: receivers and the controller', () => {
  const scenario: Scenario = {
    ...base,
    locations: { name: 'crash.yaml:1:1', expect: ['crash.yaml:20:5', 'crash.yaml:21:5', 'crash.yaml:22:5'] },
    expectations: [
      { kind: 'notification', receiver: 'pagerduty', alert: parseNameMatcher('ServiceDown'), withinSeconds: 15 },
      { kind: 'notification', receiver: 'chat', alert: parseNameMatcher('ServiceDown'), withinSeconds: 15 },
      { kind: 'remediation', action: 'restart', service: 'ml-service', withinSeconds: 20 },
    ],
  };
  const problems = (yaml: string, s = scenario) => attachedRoutingProblems([s], alertmanagerReceivers(yaml), parseAlertmanagerRoutes(yaml), { sinkPort: ports.service('notification-sink'), controllerPort: ports.service('remediation-controller') });

  it('accept the printed receivers: the sink records sandbox-pagerduty’s deliveries as pagerduty', () => {
    const only = { ...scenario, expectations: [scenario.expectations[0]!, scenario.expectations[2]!] };
    expect(problems(teamAlertmanager(), only)).toEqual([]);
    expect(sinkNamesOf(alertmanagerReceivers(teamAlertmanager()), ports.service('notification-sink')).get('sandbox-pagerduty')).toEqual(['pagerduty']);
  });

  it('name each receiver that cannot be observed, a real pager included, and a missing controller, each located', () => {
    const p = problems(teamAlertmanager(false));
    expect(p).toEqual([
      `crash.yaml:20:5: receiver pagerduty of your Alertmanager delivers to https://events.pagerduty.com/v2/enqueue, not to the sandbox's notification sink, and notifications are observed only there; add a receiver with webhook_configs url http://127.0.0.1:${ports.service('notification-sink')}/webhook/pagerduty`,
      expect.stringMatching(/^crash\.yaml:21:5: receiver chat of your Alertmanager delivers to <secret>, .*\(Alertmanager hides that URL, so it cannot be checked\)/),
      `crash.yaml:22:5: no receiver of your Alertmanager calls the remediation controller, so no restart can happen; add one with webhook_configs url http://127.0.0.1:${ports.service('remediation-controller')}/alerts`,
    ]);
    const unknown = { ...scenario, expectations: [{ ...scenario.expectations[0]!, receiver: 'opsgenie' } as Scenario['expectations'][number]] };
    expect(problems(teamAlertmanager(), unknown)[0]).toMatch(/^crash\.yaml:20:5: no receiver of your Alertmanager delivers to the sandbox's notification sink as opsgenie \(its receivers: team-default, deadmansswitch, pagerduty, chat, sandbox-log/);
  });

  it('say when a receiver exists but no route reaches it, or it delivers to another sandbox’s port', () => {
    const printed = attachConfig({ stateDir: '/s', ports }).alertmanager as { receivers: unknown[] };
    const unrouted = stringify({ route: { receiver: 'team-default' }, receivers: [{ name: 'team-default' }, ...printed.receivers] });
    const only = { ...scenario, expectations: [scenario.expectations[0]!] };
    expect(problems(unrouted, only)).toEqual(["crash.yaml:20:5: receiver sandbox-pagerduty delivers to the sandbox's sink as pagerduty, but no route of your Alertmanager sends alerts to it"]);
    const other = attachConfig({ stateDir: '/s', ports: portPlan(0) }).alertmanager;
    expect(problems(stringify(other), only)[0]).toMatch(/sandbox-pagerduty \(port 9401\) delivers to a sink path for it on another port, but this sandbox's notification sink listens on 15501/);
  });

  it('demand the session token from the state dir’s token file on every delivery a scenario relies on, naming each receiver and the fix', () => {
    const tokenFile = attachTokenFile('/s');
    const at = { sinkPort: ports.service('notification-sink'), controllerPort: ports.service('remediation-controller'), tokenFile };
    const only = { ...scenario, expectations: [scenario.expectations[0]!, scenario.expectations[2]!] };
    const check = (yaml: string) => attachedRoutingProblems([only], alertmanagerReceivers(yaml), parseAlertmanagerRoutes(yaml), at);
    const printed = (credentialsFile?: string) => attachConfig({ stateDir: '/s', ports, ...(credentialsFile ? { credentialsFile } : {}) }).alertmanager as { route: { routes: unknown[] }; receivers: unknown[] };
    const team = (am: { route: { routes: unknown[] }; receivers: unknown[] }) => stringify({ route: { receiver: 'team-default', routes: am.route.routes }, receivers: [{ name: 'team-default' }, ...am.receivers] });

    // What `sandbox attach config` prints for this state dir passes.
    expect(check(team(printed(tokenFile)))).toEqual([]);
    // Without the token: both the sink and the controller would answer 401.
    const fix = `add http_config: {authorization: {type: Bearer, credentials_file: ${tokenFile}}} to it`;
    expect(check(team(printed()))).toEqual([
      `crash.yaml:20:5: receiver sandbox-pagerduty posts to the sandbox's notification sink without the session token, which refuses it (401); ${fix}`,
      `crash.yaml:21:5: receiver sandbox-remediation posts to the sandbox's remediation controller without the session token, which refuses it (401); ${fix}`,
    ]);
    // Another state dir's file: the token there is another sandbox's.
    expect(check(team(printed('/other/attach/token')))[0]).toBe(
      `crash.yaml:20:5: receiver sandbox-pagerduty reads its token from /other/attach/token, but this sandbox writes it to ${tokenFile} (a different --state-dir?); ${fix}`,
    );
    // A token pasted inline (Alertmanager shows it as <secret>) cannot follow a new session.
    const inline = printed();
    for (const r of inline.receivers as { webhook_configs: Record<string, unknown>[] }[]) r.webhook_configs[0]!.http_config = { authorization: { credentials: '<secret>' } };
    expect(check(team(inline))[0]).toMatch(/^crash\.yaml:20:5: receiver sandbox-pagerduty sends a fixed token to the sandbox's notification sink, but the session token changes at every start/);
    // Without a token file to compare with (no state dir known), nothing is demanded.
    expect(attachedRoutingProblems([only], alertmanagerReceivers(team(printed())), parseAlertmanagerRoutes(team(printed())), { ...at, tokenFile: undefined })).toEqual([]);
  });

  it('bound time to notify by the route to the receiver that delivers under the expected name', () => {
    const yaml = teamAlertmanager();
    const config: DetectionConfig = {
      scrapeSeconds: 1,
      evaluationSeconds: 1,
      ruleFor: new Map([['ServiceDown', 2]]),
      ruleLabels: new Map([['ServiceDown', { severity: 'critical' }]]),
      rules: [{ kind: 'alert', name: 'ServiceDown', expr: 'up{job="sample-services"} == 0', forSeconds: 2, labels: { severity: 'critical' }, group: 'availability', intervalSeconds: 1, index: 0 }],
      jobScrapeSeconds: {},
      alertmanager: parseAlertmanagerRoutes(yaml),
      sinkNames: sinkNamesOf(alertmanagerReceivers(yaml), ports.service('notification-sink')),
    };
    // The sandbox's route (group_wait 1s), not the team's pagerduty route (root's 30s default).
    expect(notificationBounds(config, parseNameMatcher('ServiceDown'), 'pagerduty')).toMatchObject({ receiver: 'sandbox-pagerduty', groupWaitSeconds: 1, floor: 3 });
    // Time to notify at "any receiver" means any the sink hears.
    expect(notificationBounds(config, parseNameMatcher('ServiceDown'))).toMatchObject({ groupWaitSeconds: 1, floor: 3 });
    // A receiver nothing delivers to the sink under: no bound judged (the routing check says what is missing).
    const s: Scenario = { ...base, expectations: [{ kind: 'notification', receiver: 'opsgenie', alert: parseNameMatcher('ServiceDown'), withinSeconds: 5 }] };
    expect(checkDetectionBudget(s, config)).toEqual({ warnings: [] });
    expect(() => checkDetectionBudget(s, { ...config, sinkNames: undefined })).toThrow(/impossible expectations/);
  });
});

describe('sandbox attach config', () => {
  it('derives the route from the sandbox’s own alertmanager.yml, without SNS, receivers renamed and posting to the sink or the controller', () => {
    const { prometheus, alertmanager } = attachConfig({ stateDir: '/s', ports }) as unknown as {
      prometheus: { scrape_configs: { job_name: string; file_sd_configs: { files: string[]; refresh_interval: string }[] }[] };
      alertmanager: { route: { routes: { matchers: string[]; receiver: string; routes: { receiver: string }[] }[] }; receivers: { name: string; webhook_configs: { url: string }[] }[] };
    };
    expect(prometheus.scrape_configs.map((j) => [j.job_name, j.file_sd_configs[0]!.files[0], j.file_sd_configs[0]!.refresh_interval])).toEqual([
      ['sample-services', '/s/attach/targets/sample-services.json', '1s'],
      ['sandbox', '/s/attach/targets/sandbox.json', '1s'],
    ]);
    const [parent] = alertmanager.route.routes;
    expect(parent!.matchers).toEqual(['service=~"ml-service|api-gateway"']);
    expect(parent!.routes.map((r) => r.receiver)).not.toContain('sandbox-sns');
    expect(Object.fromEntries(alertmanager.receivers.map((r) => [r.name, r.webhook_configs[0]!.url]))).toEqual({
      'sandbox-log': `http://127.0.0.1:${ports.service('notification-sink')}/webhook/log`,
      'sandbox-remediation': `http://127.0.0.1:${ports.service('remediation-controller')}/alerts`,
      'sandbox-pagerduty': `http://127.0.0.1:${ports.service('notification-sink')}/webhook/pagerduty`,
      'sandbox-slack': `http://127.0.0.1:${ports.service('notification-sink')}/webhook/slack`,
    });
  });

  it('keeps the session token in <state>/attach/token, 0600, one line, gone when removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attach-token-'));
    writeAttachToken(dir, 'abc');
    expect(attachTokenFile(dir)).toBe(join(dir, 'attach', 'token'));
    expect(readFileSync(attachTokenFile(dir), 'utf8')).toBe('abc\n');
    expect(statSync(attachTokenFile(dir)).mode & 0o777).toBe(0o600);
    writeAttachToken(dir, 'def');
    expect(readFileSync(attachTokenFile(dir), 'utf8')).toBe('def\n');
    removeAttachToken(dir);
    expect(existsSync(attachTokenFile(dir))).toBe(false);
  });

  it('slots a token file into every webhook when the sink and the controller require one', () => {
    const { alertmanager } = attachConfig({ stateDir: '/s', ports, credentialsFile: '/s/token' }) as unknown as { alertmanager: { receivers: { webhook_configs: Record<string, unknown>[] }[] } };
    for (const r of alertmanager.receivers) expect(r.webhook_configs[0]!.http_config).toEqual({ authorization: { type: 'Bearer', credentials_file: '/s/token' } });
  });
});

describe('scrape configs reading the targets files', () => {
  const yaml = stringify({
    global: { scrape_interval: '15s' },
    scrape_configs: [
      { job_name: 'node', static_configs: [{ targets: ['localhost:9100'] }] },
      { job_name: 'sample-services', scrape_interval: '1s', file_sd_configs: [{ files: ['/s/attach/targets/sample-*.json'], refresh_interval: '1s' }] },
      { job_name: 'everything', file_sd_configs: [{ files: ['/s/attach/targets/*.json'] }] },
    ],
  });
  it('match file_sd patterns (a glob in the file name) and carry refresh and scrape intervals, defaults included', () => {
    expect(jobsReading(yaml, '/s/attach/targets/sample-services.json')).toEqual([
      { job: 'sample-services', refreshInterval: '1s', scrapeInterval: '1s' },
      { job: 'everything', refreshInterval: '5m', scrapeInterval: '15s' },
    ]);
    expect(jobsReading(yaml, '/s/attach/targets/sandbox.json')).toEqual([{ job: 'everything', refreshInterval: '5m', scrapeInterval: '15s' }]);
    expect(jobsReading(yaml, '/other/attach/targets/sandbox.json')).toEqual([]);
  });
});

describe('load engines', () => {
  const k6: Scenario = { ...base, load: { ...base.load, engine: 'k6' }, expectations: [] };
  const withPath = async <T>(path: string, f: () => Promise<T>): Promise<T> => {
    const before = process.env.PATH;
    process.env.PATH = path;
    try {
      return await f();
    } finally {
      process.env.PATH = before;
    }
  };
  it('refuse engine k6 without a k6 binary where it cannot run in a container, naming the file', async () => {
    const err = await withPath('/nonexistent', () => checkLoadEngines([k6], 'attached').then(() => null, (e: unknown) => e));
    expect(isSandboxError(err) && err.code).toBe('BINARY_MISSING');
    expect(isSandboxError(err) && err.message).toBe('crash.yaml: load.engine is k6, but the k6 binary was not found on PATH (runtime attached)');
    await expect(withPath('/nonexistent', () => checkLoadEngines([k6], 'native'))).rejects.toThrow(/runtime native/);
    // The docker runtime runs k6 in its image; the builtin engine needs nothing.
    // (The image is on the engine here; load/k6-preflight.test.ts covers one that cannot be pulled.)
    await expect(withPath('/nonexistent', () => checkLoadEngines([k6], 'docker', { ensureK6Image: async () => undefined }))).resolves.toBeUndefined();
    await expect(withPath('/nonexistent', () => checkLoadEngines([{ ...k6, load: base.load }], 'native'))).resolves.toBeUndefined();
  });
});
