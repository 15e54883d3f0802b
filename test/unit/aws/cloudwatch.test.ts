import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchPublisher, startCloudWatchMetrics } from '../../../sample-services/shared/aws/cloudwatch.ts';
import { awsClientConfig } from '../../../sample-services/shared/aws/client-config.ts';
import { chunk, MAX_SERIES, MetricBatch } from '../../../sample-services/shared/aws/metric-batch.ts';
import { cloudWatchMetrics } from '../../../sample-services/shared/aws/recorder.ts';

describe('MetricBatch (pure)', () => {
  it('folds observations into one statistic set per metric and dimension set', () => {
    const b = new MetricBatch();
    for (const v of [120, 30, 75]) b.add({ name: 'RequestLatency', unit: 'Milliseconds', value: v, dimensions: { Service: 'api-gateway' } });
    b.add({ name: 'RequestLatency', unit: 'Milliseconds', value: 5, dimensions: { Service: 'ml-service' } });
    // Dimension order does not make a new series.
    b.add({ name: 'PredictionError', unit: 'None', value: 4, dimensions: { Service: 'ml-service', ModelVersion: 'v2' } });
    b.add({ name: 'PredictionError', unit: 'None', value: 6, dimensions: { ModelVersion: 'v2', Service: 'ml-service' } });
    b.add({ name: 'PredictionError', unit: 'None', value: Number.NaN, dimensions: { ModelVersion: 'v4', Service: 'ml-service' } });
    const at = new Date('2026-11-23T08:00:00Z');
    const datums = b.drain(at);
    expect(datums).toEqual([
      { MetricName: 'RequestLatency', Dimensions: [{ Name: 'Service', Value: 'api-gateway' }], Timestamp: at, Unit: 'Milliseconds', StatisticValues: { SampleCount: 3, Sum: 225, Minimum: 30, Maximum: 120 } },
      { MetricName: 'RequestLatency', Dimensions: [{ Name: 'Service', Value: 'ml-service' }], Timestamp: at, Unit: 'Milliseconds', StatisticValues: { SampleCount: 1, Sum: 5, Minimum: 5, Maximum: 5 } },
      {
        MetricName: 'PredictionError',
        Dimensions: [{ Name: 'ModelVersion', Value: 'v2' }, { Name: 'Service', Value: 'ml-service' }],
        Timestamp: at,
        Unit: 'None',
        StatisticValues: { SampleCount: 2, Sum: 10, Minimum: 4, Maximum: 6 },
      },
    ]);
    expect(b.size).toBe(0);
    expect(b.drain(at)).toEqual([]);
  });

  it('holds at most MAX_SERIES series and counts what it refused', () => {
    const b = new MetricBatch();
    for (let i = 0; i < MAX_SERIES + 3; i++) b.add({ name: 'RequestCount', unit: 'Count', value: 1, dimensions: { Route: `/r${i}` } });
    b.add({ name: 'RequestCount', unit: 'Count', value: 1, dimensions: { Route: '/r0' } });
    expect(b.size).toBe(MAX_SERIES);
    expect(b.dropped).toBe(3);
    expect(b.drain(new Date())[0]!.StatisticValues!.SampleCount).toBe(2);
  });

  it('chunks datums into PutMetricData-sized calls', () => {
    expect(chunk([...Array(45).keys()]).map((c) => c.length)).toEqual([20, 20, 5]);
    expect(chunk([])).toEqual([]);
  });
});

/**
 * The SDK's own CloudWatchClient against a small HTTP server standing in for the endpoint
 * (LocalStack cannot run here): what goes over the wire is what CloudWatch would receive.
 * This SDK speaks the AWS JSON 1.0 protocol to CloudWatch (X-Amz-Target header, JSON body).
 */
interface Call {
  target: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  body: { Namespace: string; MetricData: { MetricName: string; Dimensions: { Name: string; Value: string }[]; Unit: string; StatisticValues: Record<string, number>; Timestamp: number }[] };
}

describe('CloudWatch publishing over HTTP', () => {
  let server: Server;
  let endpoint = '';
  const calls: Call[] = [];
  let failNext = 0;
  const env = () => ({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });

  const read = (req: IncomingMessage) =>
    new Promise<string>((ok) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString())).on('end', () => ok(text));
    });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const text = await read(req);
      if (failNext > 0) {
        failNext--;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'InvalidParameterValue', message: 'no' }));
        return;
      }
      calls.push({
        target: req.headers['x-amz-target'] as string | undefined,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: JSON.parse(text) as Call['body'],
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    calls.length = 0;
    failNext = 0;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const logs: string[] = [];
  const log = {
    warn: (_o: object, msg: string) => void logs.push(`warn ${msg}`),
    info: (_o: object, msg: string) => void logs.push(`info ${msg}`),
  };

  it('sends one batch per flush, 20 datums per call, each with the Service dimension', async () => {
    const client = new CloudWatchClient({ ...awsClientConfig(env()), disableRequestCompression: true });
    const at = new Date('2026-11-23T08:00:10Z');
    const p = new CloudWatchPublisher({ client, namespace: 'Test/Sandbox', service: 'ml-service', log, now: () => at });
    for (let i = 0; i < 25; i++) p.record('RequestCount', 'Count', 1, { Route: `/r${i}` });
    p.record('RequestCount', 'Count', 1, { Route: '/r0' });
    expect(calls).toHaveLength(0); // recording never calls out
    await p.flush();
    expect(calls.map((c) => c.body.MetricData.length)).toEqual([20, 5]);
    const first = calls[0]!;
    expect(first.target).toBe('GraniteServiceVersion20100801.PutMetricData');
    expect(first.contentType).toMatch(/application\/x-amz-json-1\.0/);
    expect(first.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/monitoring\/aws4_request/);
    expect(first.body.Namespace).toBe('Test/Sandbox');
    expect(first.body.MetricData[0]).toEqual({
      MetricName: 'RequestCount',
      Dimensions: [{ Name: 'Route', Value: '/r0' }, { Name: 'Service', Value: 'ml-service' }],
      Unit: 'Count',
      StatisticValues: { SampleCount: 2, Sum: 2, Minimum: 1, Maximum: 1 },
      Timestamp: at.getTime() / 1000,
    });
    expect(p.stats).toMatchObject({ sent: 25, calls: 2, failedCalls: 0 });
    await p.flush(); // nothing gathered: no call
    expect(calls).toHaveLength(2);
    client.destroy();
  });

  it('a failed call drops that batch with one warning and never throws; the next batch goes out', async () => {
    logs.length = 0;
    const client = new CloudWatchClient({ ...awsClientConfig(env()), disableRequestCompression: true });
    const p = new CloudWatchPublisher({ client, namespace: 'Test/Sandbox', service: 'api-gateway', log });
    failNext = 2;
    p.record('RequestCount', 'Count', 1);
    await expect(p.flush()).resolves.toBeUndefined();
    p.record('RequestCount', 'Count', 1);
    await p.flush();
    expect(calls).toHaveLength(0);
    expect(logs).toEqual(['warn CloudWatch PutMetricData failed; dropping this batch']);
    p.record('RequestLatency', 'Milliseconds', 12);
    await p.flush();
    expect(calls.map((c) => c.body.MetricData.map((d) => d.MetricName))).toEqual([['RequestLatency']]);
    expect(logs.at(-1)).toBe('info CloudWatch metrics are being published again');
    client.destroy();
  });

  it('services: request metrics from a Fastify hook, API routes only, and a process recorder', async () => {
    const app = Fastify();
    app.get('/health', async () => ({ ok: true }));
    app.post('/predict', async () => ({ rul: 1 }));
    app.get('/boom', async (_req, reply) => reply.code(503).send({ error: 'down' }));
    const quiet = { warn: () => undefined, info: () => undefined } as never;
    expect(startCloudWatchMetrics({ app, service: 'api-gateway', env: {}, log: quiet })).toBeUndefined();
    cloudWatchMetrics().record('PredictionError', 'None', 1); // no publisher: a no-op

    const cw = startCloudWatchMetrics({ app, service: 'api-gateway', env: { ...env(), CLOUDWATCH_NAMESPACE: 'Test/Hook' }, log: quiet })!;
    await app.ready();
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'POST', url: '/predict' })).statusCode).toBe(200);
    await app.inject({ method: 'GET', url: '/boom' });
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/nowhere' });
    cloudWatchMetrics().record('PredictionError', 'None', 7, { ModelVersion: 'v2' });
    await cw.stop();
    expect(cloudWatchMetrics()).not.toBe(cw.publisher);
    await app.close();

    const data = calls.flatMap((c) => c.body.MetricData.map((d) => ({ ns: c.body.Namespace, ...d })));
    const byName = (n: string) => data.filter((d) => d.MetricName === n);
    expect(data.every((d) => d.ns === 'Test/Hook' && d.Dimensions.some((x) => x.Name === 'Service' && x.Value === 'api-gateway'))).toBe(true);
    expect(byName('RequestCount').map((d) => d.StatisticValues.SampleCount)).toEqual([4]); // not /health, not a 404 without a route
    expect(byName('RequestLatency')[0]).toMatchObject({ Unit: 'Milliseconds', StatisticValues: { SampleCount: 4 } });
    expect(byName('ServerErrorCount').map((d) => d.StatisticValues.Sum)).toEqual([1]);
    expect(byName('PredictionError')[0]).toMatchObject({ Unit: 'None', StatisticValues: { SampleCount: 1, Sum: 7 } });
  });
});
