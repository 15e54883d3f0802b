import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionFrom } from '../../../scripts/runtime/connection.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { stateLayout } from '../../../scripts/runtime/state.ts';
import { parseNameMatcher, type Expectation, type Scenario } from '../../../scripts/scenario/model.ts';
import {
  checkDetectionBudget,
  detectionBounds,
  notificationBounds,
  parseAlertmanagerRoutes,
  readDetectionConfig,
  readDetectionConfigFromApi,
  siblingAlertmanagerConfigDir,
} from '../../../scripts/scenario/detection-bounds.ts';

/** A root holding prometheus/ (prometheus.yml, rules/a.yml) and, when given, alertmanager/alertmanager.yml. */
function configDir(scrape: string, evaluation: string, rules: string, alertmanager?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'bounds-'));
  const dir = join(root, 'prometheus');
  mkdirSync(join(dir, 'rules'), { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${scrape}\n  evaluation_interval: ${evaluation}\n`);
  writeFileSync(join(dir, 'rules', 'a.yml'), rules);
  if (alertmanager !== undefined) {
    mkdirSync(join(root, 'alertmanager'));
    writeFileSync(join(root, 'alertmanager', 'alertmanager.yml'), alertmanager);
  }
  return dir;
}

const rules = `groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2500ms
        labels:
          severity: critical
      - alert: Instant
        expr: up == 0
        labels:
          severity: warning
      - alert: Templated
        expr: up == 0
        for: 1s
        labels:
          severity: '{{ $labels.sev }}'
`;

/** Timers unlike the project's: a root of 10s/1m, a critical route that overrides them, a warning route that inherits. */
const routed = `route:
  receiver: log
  group_wait: 10s
  group_interval: 1m
  routes:
    - matchers: ['severity=~"critical|warning"']
      receiver: remediation
      continue: true
    - matchers: ['severity="critical"']
      receiver: pagerduty
      group_wait: 3s
      group_interval: 20s
    - match: { severity: warning }
      receiver: slack
receivers: [{ name: log }, { name: remediation }, { name: pagerduty }, { name: slack }]
`;

const scenarioWith = (expectations: Expectation[], mttd: number | null = 30): Scenario => ({
  name: 's',
  file: 's.yaml',
  ruleFiles: [],
  targets: { mttdSeconds: mttd, mttrSeconds: null },
  load: { rate: 0, durationSeconds: 10, requests: [] },
  faults: [],
  expectations,
  repeat: { runs: 1, percentile: 100 },
});
const alertExp = (within: number | null, alert = 'Down'): Expectation => ({ kind: 'alert', alert: parseNameMatcher(alert), labels: {}, withinSeconds: within });
const notifyExp = (receiver: string, within: number | null, alert = 'Down'): Expectation => ({ kind: 'notification', receiver, alert: parseNameMatcher(alert), withinSeconds: within });

function rejection(fn: () => unknown): { code: string; message: string; details: string[] } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string; details: string[] };
  }
  throw new Error('expected a rejection');
}

describe('detection bounds', () => {
  const config = readDetectionConfig(configDir('1s', '2s', rules, routed));

  it('floor is `for` rounded up to the evaluation interval; ceiling adds a scrape, an evaluation and the 100ms poll', () => {
    // `for: 2500ms` on a 2s grid fires at the second evaluation after the pending one: 4s.
    expect(detectionBounds(config, parseNameMatcher('Down'))).toMatchObject({ floor: 4, ceiling: 7.1 });
    expect(detectionBounds(config, parseNameMatcher('Instant'))).toMatchObject({ floor: 0, ceiling: 3.1 });
    expect(detectionBounds(config, parseNameMatcher('Nope'))).toBeNull();
  });

  it('rejects a target below the floor as impossible, warns below the ceiling', () => {
    expect(() => checkDetectionBudget(scenarioWith([alertExp(3)]), config)).toThrow(/impossible expectations/);
    expect(checkDetectionBudget(scenarioWith([alertExp(5)]), config).warnings).toEqual([
      'alert Down: target 5s is below the detection ceiling 7.1s (scrape: the first sample that shows it (every 1s) 1s + evaluation: the alert\'s group (every 2s) 2s + for 2.5s, on the evaluation grid 4s + observed: the alerts API is polled every 100ms 0.1s): the scenario may be flaky',
    ]);
    expect(checkDetectionBudget(scenarioWith([alertExp(7.1)]), config).warnings).toEqual([]);
  });

  it('rejects an alert no rule defines, naming the known ones', () => {
    const e = rejection(() => checkDetectionBudget(scenarioWith([alertExp(10, 'Typo'), notifyExp('slack', 10, 'Typo')]), config));
    // Once, though two expectations name it.
    expect(e.details).toEqual(['alert Typo is not defined by any loaded rule file (known: Down, Instant, Templated)']);
  });
});

describe('Alertmanager route timers', () => {
  it('reads group_wait and group_interval from the project’s alertmanager.yml', () => {
    const file = join(PROJECT_ROOT, 'compose/alertmanager/alertmanager.yml');
    const doc = parse(readFileSync(file, 'utf8')) as { route: { group_wait: string; group_interval: string } };
    expect([doc.route.group_wait, doc.route.group_interval]).toEqual(['1s', '2s']);
    const config = readDetectionConfig(join(PROJECT_ROOT, 'compose/prometheus'), [], join(PROJECT_ROOT, 'compose/alertmanager'));
    expect(config.alertmanager).toMatchObject({ receiver: 'log', groupWaitSeconds: 1, groupIntervalSeconds: 2 });
    // No child route overrides them: every receiver's route has the root's timers.
    const pagerduty = notificationBounds(config, parseNameMatcher('ServiceDown'), 'pagerduty')!;
    const alert = detectionBounds(config, parseNameMatcher('ServiceDown'))!;
    expect(pagerduty).toMatchObject({ receiver: 'pagerduty', groupWaitSeconds: 1, groupIntervalSeconds: 2 });
    expect(pagerduty.floor).toBe(alert.floor + 1);
    expect(pagerduty.ceiling).toBe(alert.ceiling + 1);
    expect(pagerduty.joinedGroupCeiling).toBe(alert.ceiling + 1 + 2);
    // ServiceDown is critical: it reaches remediation first (continue: true), and its first delivery is bounded the same.
    expect(alert.notification).toMatchObject({ receiver: 'remediation', floor: alert.floor + 1, ceiling: alert.ceiling + 1 });
  });

  it('finds alertmanager.yml beside the Prometheus configuration: the project’s and a sandbox’s rendered one', () => {
    expect(siblingAlertmanagerConfigDir(join(PROJECT_ROOT, 'compose/prometheus'))).toBe(join(PROJECT_ROOT, 'compose/alertmanager'));
    const layout = stateLayout('/tmp/x/.sandbox');
    expect(siblingAlertmanagerConfigDir(layout.configDir('prometheus'))).toBe(layout.configDir('alertmanager'));
    const conn = connectionFrom({ session: 's', runtime: 'native', hostPid: 1, hostStartTicks: null, controlUrl: 'http://127.0.0.1:1', portOffset: 0, startedAt: '', detached: false, chaosToken: 't', remediation: true }, layout);
    expect(conn.alertmanagerConfigDir).toBe(layout.configDir('alertmanager'));
    // Read from there by default.
    const dir = configDir('1s', '2s', rules, 'route: { receiver: x, group_wait: 7s }\n');
    expect(readDetectionConfig(dir).alertmanager.groupWaitSeconds).toBe(7);
  });

  it('follows the route an alert reaches, with a child’s override of the timers and what a child inherits', () => {
    const config = readDetectionConfig(configDir('1s', '2s', rules, routed));
    expect(config.alertmanager).toMatchObject({ groupWaitSeconds: 10, groupIntervalSeconds: 60 });
    expect(config.alertmanager.routes.map((r) => [r.receiver, r.groupWaitSeconds, r.groupIntervalSeconds])).toEqual([
      ['remediation', 10, 60],
      ['pagerduty', 3, 20],
      ['slack', 10, 60],
    ]);
    // Down (critical, floor 4, ceiling 7.1) to pagerduty: + its own group_wait 3s.
    expect(notificationBounds(config, parseNameMatcher('Down'), 'pagerduty')).toEqual({
      floor: 7,
      ceiling: 10.1,
      joinedGroupCeiling: 30.1,
      receiver: 'pagerduty',
      groupWaitSeconds: 3,
      groupIntervalSeconds: 20,
    });
    // To remediation: the inherited 10s.
    expect(notificationBounds(config, parseNameMatcher('Down'), 'remediation')).toMatchObject({ floor: 14, ceiling: 17.1, joinedGroupCeiling: 77.1 });
    // First delivery anywhere: the quickest route it reaches.
    expect(detectionBounds(config, parseNameMatcher('Down'))!.notification).toMatchObject({ receiver: 'pagerduty', floor: 7, ceiling: 10.1 });
    // Instant (warning, floor 0, ceiling 3.1) reaches slack through `match`.
    expect(notificationBounds(config, parseNameMatcher('Instant'), 'slack')).toMatchObject({ floor: 10, ceiling: 13.1 });
    // A templated severity is unknown: any route to the receiver could deliver, the quickest bounds it.
    expect(notificationBounds(config, parseNameMatcher('Templated'), 'pagerduty')).toMatchObject({ groupWaitSeconds: 3, floor: 5 });
    expect(notificationBounds(config, parseNameMatcher('Nope'), 'pagerduty')).toBeNull();
  });

  it('takes Alertmanager’s defaults, 30s and 5m, where the configuration sets none', () => {
    const config = readDetectionConfig(configDir('1s', '2s', rules, 'route:\n  receiver: log\nreceivers: [{ name: log }]\n'));
    expect(config.alertmanager).toMatchObject({ groupWaitSeconds: 30, groupIntervalSeconds: 300 });
    expect(notificationBounds(config, parseNameMatcher('Down'), 'log')).toMatchObject({ floor: 34, ceiling: 37.1, joinedGroupCeiling: 337.1 });
  });

  it('parses the matcher forms Alertmanager accepts', () => {
    const root = parseAlertmanagerRoutes(`route:
  receiver: a
  routes:
    - { receiver: b, matchers: ['{team="ml", severity!~"info|none"}'] }
    - { receiver: c, match_re: { service: 'ml-.*' } }
    - { receiver: d, matchers: [severity = page] }
`);
    expect(root.routes.map((r) => r.matchers)).toEqual([
      [
        { name: 'team', op: '=', value: 'ml' },
        { name: 'severity', op: '!~', value: 'info|none' },
      ],
      [{ name: 'service', op: '=~', value: 'ml-.*' }],
      [{ name: 'severity', op: '=', value: 'page' }],
    ]);
  });

  it('says which file is missing or malformed', () => {
    const dir = configDir('1s', '2s', rules);
    expect(() => readDetectionConfig(dir)).toThrow(/no Alertmanager configuration at .*alertmanager\/alertmanager\.yml/);
    expect(() => parseAlertmanagerRoutes('route: { group_wait: soon }', 'am.yml')).toThrow('am.yml: group_wait "soon" is not a duration');
  });
});

describe('notification budget', () => {
  const config = readDetectionConfig(configDir('1s', '2s', rules, routed));

  it('rejects a notification target below the floor, naming the alert, receiver and numbers', () => {
    const e = rejection(() => checkDetectionBudget(scenarioWith([alertExp(8), notifyExp('pagerduty', 6)]), config));
    expect(e.code).toBe('INVALID_SCENARIO');
    expect(e.message).toBe('s.yaml: impossible expectations');
    expect(e.details).toEqual([
      "notification of Down to pagerduty must arrive within 6s, but it cannot arrive sooner than 7s (the alert's floor 4s + group_wait 3s of the route to pagerduty)",
    ]);
  });

  it('judges a notification without `within` by targets.mttd, as the verdict does', () => {
    const e = rejection(() => checkDetectionBudget(scenarioWith([notifyExp('remediation', null)], 12), config));
    expect(e.details).toEqual([expect.stringMatching(/^notification of Down to remediation must arrive within 12s, but it cannot arrive sooner than 14s /)]);
    expect(checkDetectionBudget(scenarioWith([notifyExp('remediation', null)], null), config).warnings).toEqual([]);
  });

  it('lists every impossible expectation at once', () => {
    const e = rejection(() => checkDetectionBudget(scenarioWith([alertExp(3), notifyExp('pagerduty', 5), notifyExp('slack', 9, 'Instant')]), config));
    expect(e.details).toHaveLength(3);
    expect(e.details[0]).toMatch(/^alert Down must fire within 3s/);
    expect(e.details[1]).toMatch(/^notification of Down to pagerduty must arrive within 5s, but it cannot arrive sooner than 7s/);
    expect(e.details[2]).toMatch(/^notification of Instant to slack must arrive within 9s, but it cannot arrive sooner than 10s \(the alert's floor 0s \+ group_wait 10s of the route to slack\)$/);
  });

  it('warns below the notification ceiling, and is quiet at or above it', () => {
    expect(checkDetectionBudget(scenarioWith([alertExp(8), notifyExp('pagerduty', 10)]), config).warnings).toEqual([
      "notification of Down to pagerduty: target 10s is below the notification ceiling 10.1s (the alert's ceiling 7.1s + group_wait 3s of the route to pagerduty): the scenario may be flaky",
    ]);
    expect(checkDetectionBudget(scenarioWith([alertExp(8), notifyExp('pagerduty', 10.1)]), config).warnings).toEqual([]);
  });

  it('accepts every built-in notification target against the project’s configuration', () => {
    const project = readDetectionConfig(join(PROJECT_ROOT, 'compose/prometheus'), [], join(PROJECT_ROOT, 'compose/alertmanager'));
    // service-crash: ServiceDown (for 2s on 1s evaluation, 1s scrape, 100ms poll) to pagerduty within 15s.
    expect(notificationBounds(project, parseNameMatcher('ServiceDown'), 'pagerduty')).toMatchObject({ floor: 3, ceiling: 5.1 });
    expect(checkDetectionBudget(scenarioWith([notifyExp('pagerduty', 15, 'ServiceDown')]), project).warnings).toEqual([]);
  });
});

describe('detection configuration from a running stack’s APIs', () => {
  // Stand-ins answering only what readDetectionConfigFromApi asks (the integration test
  // test/integration/runtime/attached-runtime.test.ts asks real ones).
  let server: Server;
  let base: string;
  let amStatus: () => unknown;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/prom/api/v1/status/config') return json({ status: 'success', data: { yaml: 'global:\n  scrape_interval: 5s\n  evaluation_interval: 3s\n  external_labels:\n    team: ml\n' } });
      if (req.url === '/prom/api/v1/rules') {
        return json({
          status: 'success',
          data: {
            groups: [
              {
                name: 'g',
                file: '/etc/prometheus/rules/a.yml',
                interval: 3,
                rules: [
                  { type: 'recording', name: 'job:errors:ratio_rate30s', query: 'sum(rate(errors_total[30s])) / sum(rate(requests_total[30s]))', labels: {} },
                  { type: 'alerting', name: 'Down', query: 'up == 0', duration: 2, labels: { severity: 'critical' } },
                  { type: 'alerting', name: 'Errors', query: 'job:errors:ratio_rate30s > 0.05', duration: 0, labels: { severity: 'warning' } },
                ],
              },
            ],
          },
        });
      }
      if (req.url === '/am/api/v2/status') return json(amStatus());
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads the routing tree from Alertmanager’s /api/v2/status config.original', async () => {
    amStatus = () => ({
      config: { original: 'route:\n  receiver: log\n  group_wait: 4s\n  routes:\n  - receiver: pager\n    matchers:\n    - team="ml"\n    group_wait: 2s\n' },
    });
    const config = await readDetectionConfigFromApi(`${base}/prom`, `${base}/am`);
    expect(config).toMatchObject({ scrapeSeconds: 5, evaluationSeconds: 3 });
    expect(config.ruleLabels.get('Down')).toEqual({ team: 'ml', severity: 'critical' });
    // Recording rules too, with the group's interval: the model follows Errors through its 30s window.
    expect(config.rules.map((r) => [r.kind, r.name, r.intervalSeconds])).toEqual([
      ['record', 'job:errors:ratio_rate30s', 3],
      ['alert', 'Down', 3],
      ['alert', 'Errors', 3],
    ]);
    // 5s scrape + a 30s window and a sample (its size is unknown) + a 3s evaluation + 0.1s poll.
    expect(detectionBounds(config, parseNameMatcher('Errors'))).toMatchObject({ floor: 0, ceiling: 43.1 });
    expect(config.alertmanager).toMatchObject({ groupWaitSeconds: 4, groupIntervalSeconds: 300 });
    // Down: floor 3 (2s on a 3s grid), ceiling 11.1 (5s scrape, 3s evaluation, `for` rounded to 3s, poll); the external label team="ml" routes it to pager (2s).
    expect(notificationBounds(config, parseNameMatcher('Down'))).toMatchObject({ receiver: 'pager', floor: 5, ceiling: 13.1, joinedGroupCeiling: 313.1 });
  });

  it('names the Alertmanager that does not answer with its configuration', async () => {
    amStatus = () => ({ uptime: 'x' });
    await expect(readDetectionConfigFromApi(`${base}/prom`, `${base}/am`)).rejects.toThrow(`Alertmanager at ${base}/am/api/v2/status: no config.original in the answer`);
    await expect(readDetectionConfigFromApi(`${base}/prom`, `${base}/none`)).rejects.toThrow(`Alertmanager at ${base}/none/api/v2/status: HTTP 404`);
  });
});
