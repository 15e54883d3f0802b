import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../sample-services/shared/aws/client-config.ts';
import { makePredictRequest } from '../../sample-services/shared/payloads.ts';
import { seededRng } from '../../sample-services/shared/random.ts';
import { writeAlertmanagerLogin } from '../../scripts/runtime/config/alertmanager-auth.ts';
import { renderAlertmanagerReceivers } from '../../scripts/runtime/config/alertmanager-receivers.ts';
import { basicAuthorization, readinessHeaders } from '../../scripts/stack/stack-auth.ts';
import { dockerClient, probeDockerEngine } from '../../scripts/runtime/docker/engine.ts';
import { networkModeFor } from '../../scripts/runtime/select-runtime.ts';
import { awsEnv } from '../../scripts/runtime/service-env/aws.ts';
import { DockerRuntime } from '../../scripts/runtime/docker/docker-runtime.ts';
import { stackComponents } from '../../scripts/stack/catalog.ts';
import type { ComponentStatus } from '../../scripts/runtime/types.ts';
import { reloadPrometheus, resetPrometheus } from '../../scripts/runtime/stack-actions.ts';
import type { StateLayout } from '../../scripts/runtime/state.ts';
import { chaos, createSandbox, postJson, TOKEN } from '../integration/sample-services/harness.ts';

// Runs wherever a Docker engine answers whose containers can reach this machine's loopback;
// elsewhere the whole suite is skipped on purpose, with one line that says why.
const engine = await probeDockerEngine();
if (!engine.available) console.log(`docker suite skipped: no Docker engine answers (${engine.reason})`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OFFSET = 21_000; // away from a sandbox that may run on the default ports
const LOGIN = 'docker-suite-token';
const session = `test-${process.pid}`;
const labels = { 'org.observability-sandbox.session': session };

const mode = engine.kind ? networkModeFor(engine.kind) : null;

describe.skipIf(!engine.available || typeof mode !== 'string')('DockerRuntime against a real engine', () => {
  let state: string;
  let runtime: DockerRuntime;
  let scrapeTarget: Server;
  let started: ComponentStatus[];
  // A host port nobody listens on: a scrape target that is dead from the start.
  let deadPort: number;
  const network = mode as 'host' | 'bridge';
  // Optional parts whose image this engine cannot pull (an offline laptop, the docker lab) are
  // unavailable; their own tests say so and skip, the rest must hold.
  const ready = (name: string) => started.find((s) => s.name === name)?.state === 'ready';
  const needs = (name: string, ctx: { skip: (note?: string) => void }) => {
    if (!ready(name)) ctx.skip(`${name} is ${started.find((s) => s.name === name)?.reason ?? 'not running'}`);
  };

  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), 'docker-runtime-'));
    // A stand-in sample service on the host, so the suite proves containers can scrape it.
    scrapeTarget = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end('probe_ok 1\n');
    });
    await new Promise<void>((r) => scrapeTarget.listen(0, '127.0.0.1', () => r()));
    const hostPort = (scrapeTarget.address() as { port: number }).port;
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));

    runtime = new DockerRuntime({ network });
    for (const c of stackComponents) {
      cpSync(join(root, c.configSource), join(state, 'config', c.name), { recursive: true, filter: (s) => basename(s) !== 'tests' });
    }
    // Alertmanager's SNS receiver as the session renders it where LocalStack runs (its alias).
    const plan = {
      components: stackComponents,
      hostPort: (c: string, p: string) => stackComponents.find((s) => s.name === c)!.ports[p]! + OFFSET,
      configDir: (c: string) => join(state, 'config', c),
      dataDir: (c: string) => join(state, 'data', c),
      logFile: (c: string) => join(state, 'logs', `${c}.log`),
      labels,
      stackPassword: LOGIN,
    };
    await runtime.prepare(plan);
    // Alertmanager's login as the session writes it (readable by the containers' own user).
    writeAlertmanagerLogin(join(state, 'config', 'alertmanager'), join(state, 'config', 'prometheus'), LOGIN, 0o644);
    const amConfig = join(state, 'config', 'alertmanager', 'alertmanager.yml');
    writeFileSync(amConfig, renderAlertmanagerReceivers(readFileSync(amConfig, 'utf8'), runtime.runs('localstack') ? runtime.peerAddress('localstack') : null));
    const targets = join(state, 'config', 'prometheus', 'targets');
    mkdirSync(targets, { recursive: true });
    const write = (job: string, groups: unknown) => writeFileSync(join(targets, `${job}.json`), JSON.stringify(groups));
    write('prometheus', [{ targets: [runtime.peerAddress('prometheus')] }]);
    write('alertmanager', [{ targets: [runtime.peerAddress('alertmanager')] }]);
    write('alertmanagers', [{ targets: [runtime.peerAddress('alertmanager')] }]);
    write('sample-services', [
      { targets: [`${runtime.hostAddress}:${hostPort}`], labels: { service: 'probe' } },
      { targets: [`${runtime.hostAddress}:${deadPort}`], labels: { service: 'dead' } },
    ]);
    write('sandbox', []);

    started = await runtime.start(plan);
  });

  afterAll(async () => {
    await runtime?.stop();
    scrapeTarget?.close();
  });

  it('starts every component ready at the host URL the plan asked for; an optional one it cannot pull is unavailable with the fix', async () => {
    for (const spec of stackComponents) {
      const s = started.find((x) => x.name === spec.name)!;
      if (s.state === 'unavailable') {
        expect(spec.optional, `${spec.name} is required`).toBe(true);
        expect(s.reason).toMatch(/could not be pulled/);
        expect(s.hint).toContain(`docker pull ${spec.image.name}:${spec.image.tag}`);
        expect(s.hint).toContain(`--without ${spec.name}`);
        continue;
      }
      expect(s.state).toBe('ready');
      expect(s.url).toBe(`http://127.0.0.1:${spec.ports[spec.primaryPort]! + OFFSET}`);
      const res = await fetch(`${s.url}${spec.readiness.path}`, { headers: readinessHeaders(spec, LOGIN) });
      expect(res.status).toBe(200);
      // Alertmanager asks for the login on every route, in a container too.
      if (spec.readiness.login) expect((await fetch(`${s.url}${spec.readiness.path}`)).status).toBe(401);
    }
    expect(ready('prometheus') && ready('alertmanager')).toBe(true);
  });

  it('lets Prometheus reach Alertmanager (loopback with host networking, the network alias on a bridge)', async () => {
    const prom = started.find((s) => s.name === 'prometheus')!.url!;
    const expected = network === 'host' ? `http://127.0.0.1:${9093 + OFFSET}/api/v2/alerts` : 'http://alertmanager:9093/api/v2/alerts';
    await eventually(async () => {
      const body = (await (await fetch(`${prom}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
      expect(body.data.activeAlertmanagers.map((a) => a.url)).toContain(expected);
    });
    // With the login from its password file: it scrapes Alertmanager (which refuses anyone without it).
    await eventually(async () => {
      const body = (await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent('up{job="alertmanager"}')}`)).json()) as { data: { result: { value: [number, string] }[] } };
      expect(body.data.result.map((r) => r.value[1])).toEqual(['1']);
    });
  });

  it('lets Prometheus scrape a process on the host, and sees a dead one as down while this process lives on', async () => {
    const prom = started.find((s) => s.name === 'prometheus')!.url!;
    await eventually(async () => {
      const body = (await (await fetch(`${prom}/api/v1/targets`)).json()) as {
        data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
      };
      const probe = body.data.activeTargets.find((t) => t.labels.service === 'probe');
      const dead = body.data.activeTargets.find((t) => t.labels.service === 'dead');
      expect(probe, JSON.stringify(body.data.activeTargets)).toBeDefined();
      expect(probe!.health, probe!.lastError).toBe('up');
      // A refused connection, as natively: no forwarder in between to crash on it.
      expect(dead?.health, dead?.lastError).toBe('down');
      expect(dead!.lastError).toMatch(/connection refused/);
    });
    const q = await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent('up{service="dead"}')}`)).json() as { data: { result: { value: [number, string] }[] } };
    expect(q.data.result.map((r) => r.value[1])).toEqual(['0']);
  });

  it('labels each container with the run and limits its memory as the catalog says', async () => {
    const docker = await dockerClient();
    for (const spec of stackComponents.filter((c) => ready(c.name))) {
      const id = started.find((s) => s.name === spec.name)!.containerId!;
      const info = await docker.getContainer(id).inspect();
      expect(info.Config.Labels).toMatchObject({ ...labels, 'org.observability-sandbox.component': spec.name });
      expect(info.HostConfig.Memory).toBe(spec.memoryMiB * 1024 * 1024);
    }
  });

  const urlOf = (name: string) => started.find((s) => s.name === name)!.url!;
  const hostPort = (component: string, port: string) => stackComponents.find((s) => s.name === component)!.ports[port]! + OFFSET;
  // Grafana's default admin, for the API calls a Viewer may not make (listing data sources).
  const admin = { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };

  it('Grafana: healthy, anonymous Viewer access, the four data sources by alias, all answering, and the dashboards', async (ctx) => {
    needs('grafana', ctx);
    const grafana = urlOf('grafana');
    const health = (await (await fetch(`${grafana}/api/health`)).json()) as { database: string };
    expect(health.database).toBe('ok');
    // Anonymous visitors read (Viewer) but may not change anything.
    const folder = await fetch(`${grafana}/api/folders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"x"}' });
    expect([401, 403]).toContain(folder.status);
    const sources = (await (await fetch(`${grafana}/api/datasources`, { headers: admin })).json()) as { uid: string; url: string; type: string }[];
    const at = (c: string) => `http://${runtime.peerAddress(c)}`;
    expect(sources.map((d) => [d.uid, d.url]).sort()).toEqual([
      ['alertmanager', at('alertmanager')],
      ['loki', at('loki')],
      ['prometheus', at('prometheus')],
      ['tempo', at('tempo')],
    ]);
    for (const uid of ['prometheus', 'loki', 'tempo']) {
      await eventually(async () => {
        const res = await fetch(`${grafana}/api/datasources/uid/${uid}/health`, { headers: admin });
        const body = (await res.json()) as { status: string; message: string };
        expect(body.status, `${uid}: ${body.message}`).toBe('OK');
      }, 60_000);
    }
    await eventually(async () => {
      const found = (await (await fetch(`${grafana}/api/search?type=dash-db`)).json()) as { uid: string }[];
      expect(found.map((d) => d.uid).sort()).toEqual(['sandbox-alerts', 'sandbox-ml-model', 'sandbox-runtime', 'sandbox-service-overview', 'sandbox-slo']);
    });
    const overview = (await (await fetch(`${grafana}/api/dashboards/uid/sandbox-service-overview`)).json()) as { meta: { canSave: boolean } };
    expect(overview.meta.canSave).toBe(false);
  });

  it('Loki: ready, takes a pushed line with trace_id as structured metadata and returns it', async (ctx) => {
    needs('loki', ctx);
    const loki = urlOf('loki');
    expect((await fetch(`${loki}/ready`)).status).toBe(200);
    const ns = `${Date.now()}000000`;
    const push = await fetch(`${loki}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { service: 'docker-suite' }, values: [[ns, '{"msg":"hello"}', { trace_id: '0af7651916cd43dd8448eb211c80319c' }]] }] }),
    });
    expect(push.status, await push.text()).toBe(204);
    await eventually(async () => {
      const q = new URLSearchParams({ query: '{service_name="docker-suite"} | trace_id="0af7651916cd43dd8448eb211c80319c"', start: String(Number(ns) - 60e9), limit: '10' });
      const body = (await (await fetch(`${loki}/loki/api/v1/query_range?${q}`)).json()) as { data: { result: { values: string[][] }[] } };
      expect(body.data.result.flatMap((r) => r.values.map((v) => v[1]))).toContain('{"msg":"hello"}');
    });
  });

  it('Tempo: ready, takes an OTLP/HTTP trace on the published 4318 and serves it back', async (ctx) => {
    needs('tempo', ctx);
    const tempo = urlOf('tempo');
    expect((await fetch(`${tempo}/ready`)).status).toBe(200);
    const traceId = '5b8efff798038103d269b633813fc60c';
    const now = BigInt(Date.now()) * 1_000_000n;
    const otlp = await fetch(`http://127.0.0.1:${hostPort('tempo', 'otlp-http')}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [{
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'docker-suite' } }] },
          scopeSpans: [{ spans: [{ traceId, spanId: 'eee19b7ec3c1b174', name: 'GET /probe', kind: 2, startTimeUnixNano: String(now - 5_000_000n), endTimeUnixNano: String(now) }] }],
        }],
      }),
    });
    expect(otlp.status, await otlp.text()).toBe(200);
    await eventually(async () => {
      const res = await fetch(`${tempo}/api/v2/traces/${traceId}`);
      expect(res.status).toBe(200);
    }, 60_000);
  });

  it('LocalStack: healthy with SNS, SQS, S3 and CloudWatch, and the init script created the sandbox topic', async (ctx) => {
    needs('localstack', ctx);
    const ls = urlOf('localstack');
    const health = (await (await fetch(`${ls}/_localstack/health`)).json()) as { services: Record<string, string> };
    for (const svc of ['sns', 'sqs', 's3', 'cloudwatch']) expect(['available', 'running'], svc).toContain(health.services[svc]);
    await eventually(async () => {
      const init = (await (await fetch(`${ls}/_localstack/init/ready`)).json()) as { completed: boolean; scripts: { state: string }[] };
      expect(init.completed).toBe(true);
      expect(init.scripts.map((x) => x.state)).toEqual(['SUCCESSFUL']);
    }, 60_000);
  });

  // LocalStack from the host, as the sandbox hands it to its processes (service-env/aws.ts).
  const aws = () => awsEnv({ runs: (c) => c === 'localstack', hostUrl: (c, p) => `http://127.0.0.1:${hostPort(c, p ?? stackComponents.find((s) => s.name === c)!.primaryPort)}` });
  const initDone = () =>
    eventually(async () => {
      const init = (await (await fetch(`${urlOf('localstack')}/_localstack/init/ready`)).json()) as { completed: boolean };
      expect(init.completed).toBe(true);
    }, 60_000);

  it('SNS: a critical alert posted to Alertmanager reaches the sandbox-alerts queue through the topic, then its resolution', async (ctx) => {
    needs('localstack', ctx);
    await initDone();
    const env = aws();
    expect(env.AWS_ENDPOINT_URL).toBe(urlOf('localstack'));
    const sqs = new SQSClient(awsClientConfig(env));
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'sandbox-alerts' }));
    const alert = { labels: { alertname: 'DockerSuiteSns', service: 'docker-suite', severity: 'critical' }, annotations: { summary: 'fired by the docker suite' } };
    const post = (a: object) => fetch(`${urlOf('alertmanager')}/api/v2/alerts`, { method: 'POST', headers: { authorization: basicAuthorization(LOGIN), 'content-type': 'application/json' }, body: JSON.stringify([a]) });
    const res = await post(alert);
    expect(res.status, await res.text()).toBe(200);

    interface Envelope { Type: string; TopicArn: string; Subject?: string; Message: string; MessageAttributes?: Record<string, { Type: string; Value: string }> }
    const seen: Envelope[] = [];
    const drain = async () => {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
      for (const m of out.Messages ?? []) {
        seen.push(JSON.parse(m.Body!) as Envelope);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    };
    const about = (status: string) => seen.find((e) => e.Message.includes(`[${status}] DockerSuiteSns`));
    await eventually(async () => {
      await drain();
      expect(about('firing'), JSON.stringify(seen)).toBeDefined();
    }, 60_000);
    const firing = about('firing')!;
    expect(firing).toMatchObject({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:000000000000:sandbox-alerts' });
    expect(firing.Subject).toContain('DockerSuiteSns');
    expect(firing.Message).toContain('service="docker-suite"');
    expect(firing.Message).toContain('fired by the docker suite');
    expect(firing.MessageAttributes?.source).toMatchObject({ Value: 'observability-sandbox' });

    // Resolved: an end in the past; send_resolved is on for SNS.
    expect((await post({ ...alert, endsAt: new Date(Date.now() - 1000).toISOString() })).status).toBe(200);
    await eventually(async () => {
      await drain();
      expect(about('resolved'), JSON.stringify(seen)).toBeDefined();
    }, 60_000);
    sqs.destroy();
  });

  it('S3: ml-service keeps its models in LocalStack; bad-model deploy and rollback go through S3; CloudWatch gets its metrics', async (ctx) => {
    needs('localstack', ctx);
    await initDone();
    const env = aws();
    const services = createSandbox();
    const s3 = new S3Client(awsClientConfig(env));
    const cw = new CloudWatchClient(awsClientConfig(env));
    const admin = { 'x-chaos-token': TOKEN };
    const recorded = async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: env.MODEL_REGISTRY_S3_BUCKET, Key: 'deployments.json' }));
      return JSON.parse(await out.Body!.transformToString()) as { current: string; history: { version: string; reason: string }[] };
    };
    try {
      const ml = await services.start('ml-service', { ...env, CLOUDWATCH_FLUSH_SECONDS: '1' }, { waitReady: true });
      expect((await recorded()).current).toBe('v2');

      const fault = await chaos(ml.url, 'POST', '', { type: 'bad-model', params: { version: 'v3' } });
      expect(fault.status, JSON.stringify(fault.body)).toBe(201);
      expect((await recorded()).current).toBe('v3');
      const rng = seededRng(5);
      for (let i = 0; i < 5; i++) expect((await postJson(`${ml.url}/predict`, makePredictRequest(rng))).body.modelVersion).toBe('v3');

      const rolled = await postJson(`${ml.url}/admin/model/rollback`, {}, admin);
      expect(rolled.body).toEqual({ current: 'v2', from: 'v3' });
      expect((await recorded()).history.slice(-2).map((h) => `${h.version} ${h.reason}`)).toEqual(['v3 chaos: bad-model', 'v2 admin rollback']);

      await eventually(async () => {
        const out = await cw.send(new ListMetricsCommand({ Namespace: 'ObservabilitySandbox', Dimensions: [{ Name: 'Service', Value: 'ml-service' }] }));
        const names = new Set((out.Metrics ?? []).map((m) => m.MetricName));
        expect([...names]).toEqual(expect.arrayContaining(['RequestCount', 'RequestLatency', 'PredictionError']));
      }, 60_000);
    } finally {
      await services.cleanup();
      s3.destroy();
      cw.destroy();
    }
  });

  // Issue 14: the flags apply to the container too, and what the sandbox needed the APIs for
  // goes through the runtime: a reload is SIGHUP delivered by the engine, a history reset is a
  // new container (with a new data volume).
  it('Prometheus in its container: no lifecycle or admin API, CORS for Grafana only; SIGHUP reloads, restartFresh forgets history', async () => {
    const prom = started.find((s) => s.name === 'prometheus')!.url!;
    expect((await fetch(`${prom}/-/reload`, { method: 'POST' })).status).toBe(403);
    const del = await fetch(`${prom}/api/v1/admin/tsdb/delete_series?match[]=up`, { method: 'POST' });
    expect(del.ok).toBe(false);
    expect(await del.text()).toMatch(/admin APIs disabled/);
    const evil = await fetch(`${prom}/api/v1/query?query=up`, { headers: { origin: 'http://evil' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const grafana = `http://127.0.0.1:${3000 + OFFSET}`;
    expect((await fetch(`${prom}/api/v1/query?query=up`, { headers: { origin: grafana } })).headers.get('access-control-allow-origin')).toBe(grafana);

    // A scenario's rule file, loaded by SIGHUP through the engine (the rules dir is the bind-mounted config).
    const layout = { logFile: (c: string) => join(state, 'logs', `${c}.log`) } as StateLayout;
    const rules = join(state, 'config', 'prometheus', 'scenario-rules');
    mkdirSync(rules, { recursive: true });
    writeFileSync(join(rules, '0-probe.yml'), 'groups:\n  - name: docker-reload-probe\n    rules:\n      - alert: ProbeSeen\n        expr: probe_ok == 1\n');
    expect(await reloadPrometheus(runtime, 'prometheus', layout)).toEqual({ component: 'prometheus', ok: true, detail: 'configuration reloaded' });
    const groups = async () => ((await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: { name: string }[] } }).data.groups.map((g) => g.name);
    expect(await groups()).toContain('docker-reload-probe');
    // A refused file: Prometheus' own message, from the container's log.
    writeFileSync(join(rules, '0-probe.yml'), 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: rate(up[\n');
    const refused = await reloadPrometheus(runtime, 'prometheus', layout);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/parse|unexpected|error/i);
    rmSync(join(rules, '0-probe.yml'));
    expect((await reloadPrometheus(runtime, 'prometheus', layout)).ok).toBe(true);

    // History: a sample from before the reset is gone after it.
    const at = async (t: number) =>
      ((await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent('up{service="probe"}')}&time=${t}`)).json()) as { data: { result: unknown[] } }).data.result.length;
    let before = 0;
    await eventually(async () => {
      before = Date.now() / 1000 - 1;
      expect(await at(before)).toBe(1);
    });
    expect(await resetPrometheus(runtime, 'prometheus')).toEqual({ component: 'prometheus', ok: true, detail: 'restarted on an empty data directory' });
    const after = runtime.status().find((c) => c.name === 'prometheus')!;
    expect(after.state).toBe('ready');
    expect(await at(before)).toBe(0);
    // Still the same flags after the restart.
    expect((await fetch(`${after.url}/-/reload`, { method: 'POST' })).status).toBe(403);
    await eventually(async () => expect(await at(Date.now() / 1000 - 1)).toBe(1));
  }, 120_000);

  it('stops everything, twice without complaint, leaving no labelled container', async () => {
    await runtime.stop();
    await runtime.stop();
    expect(runtime.status().every((s) => s.state === 'stopped' || s.state === 'unavailable')).toBe(true);
    const docker = await dockerClient();
    const left = await docker.listContainers({ all: true, filters: { label: [`org.observability-sandbox.session=${session}`] } });
    expect(left).toEqual([]);
  });
});

async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
