import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachedRuntime } from '../../../scripts/runtime/attached/attached-runtime.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { notificationBounds, readDetectionConfigFromApi } from '../../../scripts/scenario/detection-bounds.ts';
import { parseNameMatcher } from '../../../scripts/scenario/model.ts';
import { stackComponents } from '../../../scripts/stack/catalog.ts';

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

/**
 * `--attach` against a "team's" stack: a real Prometheus (loading this project's rules, as a
 * team that adopted them would) and a real Alertmanager that the sandbox did not start.
 */
describe('attached runtime', () => {
  const procs: ChildProcess[] = [];
  let prom: string;
  let am: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'team-stack-'));
    cpSync(join(PROJECT_ROOT, 'compose/prometheus/rules'), join(dir, 'rules'), { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), 'global: { scrape_interval: 5s, evaluation_interval: 3s }\nrule_files: [rules/*.yml]\n');
    // Timers of the team's own, and a critical route that overrides group_wait.
    writeFileSync(
      join(dir, 'am.yml'),
      'route:\n  receiver: none\n  group_wait: 4s\n  group_interval: 7s\n  routes:\n    - matchers: [\'severity="critical"\']\n      receiver: pager\n      group_wait: 2s\n' +
        'receivers: [{ name: none }, { name: pager }]\n',
    );
    const [pp, ap] = [await freePort(), await freePort()];
    prom = `http://127.0.0.1:${pp}`;
    am = `http://127.0.0.1:${ap}`;
    procs.push(spawn('prometheus', [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${pp}`], { stdio: 'ignore' }));
    procs.push(spawn('prometheus-alertmanager', [`--config.file=${dir}/am.yml`, `--storage.path=${dir}/am`, `--web.listen-address=127.0.0.1:${ap}`, '--cluster.listen-address='], { stdio: 'ignore' }));
    await Promise.all([ready(prom), ready(am)]);
  });
  afterAll(() => procs.forEach((p) => p.kill('SIGKILL')));

  const plan = () => ({
    components: stackComponents,
    hostPort: () => 0,
    configDir: () => '',
    dataDir: () => '',
    logFile: () => '',
    labels: {},
  });

  it('reports the team’s Prometheus and Alertmanager ready at their URLs, and everything else unavailable with why', async () => {
    const statuses = await new AttachedRuntime({ prometheusUrl: prom, alertmanagerUrl: `${am}/` }).start(plan());
    expect(statuses.find((s) => s.name === 'prometheus')).toMatchObject({ state: 'ready', url: prom });
    expect(statuses.find((s) => s.name === 'alertmanager')).toMatchObject({ state: 'ready', url: am });
    for (const s of statuses.filter((x) => x.name !== 'prometheus' && x.name !== 'alertmanager')) {
      expect(s).toMatchObject({ state: 'unavailable', reason: expect.stringMatching(/attached/) });
    }
  });

  it('uses the team’s Loki and Tempo when given, checking each at its own readiness path', async () => {
    // Loki and Tempo cannot run here: small HTTP servers stand in, answering only /ready as both do.
    const standIns = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<import('node:http').Server>((resolve) => {
            const s = createHttpServer((req, res) => res.writeHead(req.url === '/ready' ? 200 : 404).end()).listen(0, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    try {
      const [loki, tempo] = standIns.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}`);
      const statuses = await new AttachedRuntime({ prometheusUrl: prom, alertmanagerUrl: am, lokiUrl: loki!, tempoUrl: `${tempo}/` }).start(plan());
      expect(statuses.find((s) => s.name === 'loki')).toMatchObject({ state: 'ready', url: loki });
      expect(statuses.find((s) => s.name === 'tempo')).toMatchObject({ state: 'ready', url: tempo });
      expect(statuses.find((s) => s.name === 'grafana')).toMatchObject({ state: 'unavailable' });
      // Without them, the hint says how to add them.
      const without = await new AttachedRuntime({ prometheusUrl: prom, alertmanagerUrl: am }).start(plan());
      expect(without.find((s) => s.name === 'loki')).toMatchObject({ state: 'unavailable', hint: 'give --loki-url, or run without --attach to get it' });
      // Prometheus' /-/ready is not Loki's readiness path: pointing --loki-url at a Prometheus fails, naming /ready.
      await expect(new AttachedRuntime({ prometheusUrl: prom, alertmanagerUrl: am, lokiUrl: prom }).start(plan())).rejects.toThrow(`loki at ${prom} does not answer /ready`);
    } finally {
      await Promise.all(standIns.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('refuses to attach to a URL where nothing answers, naming it', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await expect(new AttachedRuntime({ prometheusUrl: prom, alertmanagerUrl: dead }).start(plan())).rejects.toThrow(
      new RegExp(`alertmanager at ${dead} does not answer`),
    );
  });

  it('reads the detection configuration from the running Prometheus and Alertmanager, not from files', async () => {
    const config = await readDetectionConfigFromApi(prom, am);
    expect(config.scrapeSeconds).toBe(5);
    expect(config.evaluationSeconds).toBe(3);
    expect(config.ruleFor.get('ServiceDown')).toBe(2);
    expect(config.ruleFor.get('HighErrorRate')).toBe(3);
    expect(config.ruleLabels.get('ServiceDown')).toMatchObject({ severity: 'critical' });
    // Alertmanager's routing tree as it loaded it (/api/v2/status, config.original).
    expect(config.alertmanager).toMatchObject({ receiver: 'none', groupWaitSeconds: 4, groupIntervalSeconds: 7 });
    expect(config.alertmanager.routes).toMatchObject([{ receiver: 'pager', groupWaitSeconds: 2, groupIntervalSeconds: 7, matchers: [{ name: 'severity', op: '=', value: 'critical' }] }]);
    // ServiceDown (critical, `for` 2s): floor 3 on the 3s grid, ceiling 5 + 3 + 2 = 10, + the
    // evaluation phase and the 100 ms alerts poll (detection-model.ts) = 11.1; the pager route adds its 2s.
    expect(notificationBounds(config, parseNameMatcher('ServiceDown'), 'pager')).toMatchObject({ floor: 5, ceiling: 13.1, joinedGroupCeiling: 20.1 });
    expect(notificationBounds(config, parseNameMatcher('ServiceDown'), 'none')).toMatchObject({ groupWaitSeconds: 4, floor: 7, ceiling: 15.1 });
  });
});
