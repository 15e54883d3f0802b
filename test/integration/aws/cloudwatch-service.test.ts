import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { seededRng } from '../../../sample-services/shared/random.ts';
import { createSandbox, postJson, sleep } from '../sample-services/harness.ts';

/**
 * A real ml-service process with AWS_ENDPOINT_URL set publishes its CloudWatch metrics in
 * batches to that endpoint: here a small HTTP server standing in for CloudWatch (LocalStack
 * cannot run here), answering PutMetricData as the AWS JSON 1.0 protocol does.
 */
interface Datum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  StatisticValues: { SampleCount: number; Sum: number };
}

describe('ml-service publishes CloudWatch metrics when AWS_ENDPOINT_URL is set', () => {
  const sandbox = createSandbox();
  let server: Server;
  const received: { target: string; namespace: string; data: Datum[] }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { Namespace: string; MetricData: Datum[] };
        received.push({ target: String(req.headers['x-amz-target']), namespace: body.Namespace, data: body.MetricData });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('request count and latency per service, prediction error per model version; models stay local', async () => {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ml = await sandbox.start(
      'ml-service',
      { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', CLOUDWATCH_FLUSH_SECONDS: '1' },
      { waitReady: true },
    );
    const rng = seededRng(3);
    for (let i = 0; i < 5; i++) expect((await postJson(`${ml.url}/predict`, makePredictRequest(rng))).status).toBe(200);

    const all = () => received.flatMap((r) => r.data);
    const sum = (name: string) => all().filter((d) => d.MetricName === name).reduce((a, d) => a + d.StatisticValues.SampleCount, 0);
    for (let i = 0; i < 100 && (sum('RequestCount') < 5 || sum('PredictionError') < 5); i++) await sleep(100);

    expect(received.every((r) => r.target === 'GraniteServiceVersion20100801.PutMetricData' && r.namespace === 'ObservabilitySandbox')).toBe(true);
    expect(sum('RequestCount')).toBe(5);
    expect(sum('RequestLatency')).toBe(5);
    expect(sum('PredictionError')).toBe(5);
    const error = all().find((d) => d.MetricName === 'PredictionError')!;
    expect(error.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Service', Value: 'ml-service' }, { Name: 'ModelVersion', Value: 'v2' }]));
    // Batched: several requests per call, not a call per request.
    expect(received.length).toBeLessThan(5);
  });
});
