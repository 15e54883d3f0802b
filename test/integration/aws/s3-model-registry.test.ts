import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { seededRng } from '../../../sample-services/shared/random.ts';
import { ModelNotFoundError, type DeploymentState } from '../../../sample-services/ml-service/registry/backend.ts';
import { S3Registry } from '../../../sample-services/ml-service/registry/s3.ts';
import { chaos, createSandbox, freePort, postJson, scrape, sleep, TOKEN, type ServiceProcess } from '../sample-services/harness.ts';
import { startS3Emulator, type S3Emulator } from './s3-emulator.ts';

/**
 * ml-service's S3 model registry against a S3-compatible HTTP server (the stand-in in s3-emulator.ts, in this
 * process; LocalStack cannot run here: it needs a Docker engine). The env is what the sandbox
 * hands services when LocalStack runs (scripts/runtime/service-env/aws.ts), with LocalStack's dummy keys.
 */
const BUCKET = 'sandbox-models';
const admin = { 'x-chaos-token': TOKEN };

describe('S3Registry (S3 stand-in)', () => {
  let s3: S3Emulator;
  beforeAll(async () => {
    s3 = await startS3Emulator({ buckets: ['registry-unit'] });
  });
  afterAll(() => s3?.close());

  it('keeps the local layout as keys: versions in numeric order, the deployment record, misses', async () => {
    const r = new S3Registry(s3.client, 'registry-unit', 'models/');
    expect(await r.listVersions()).toEqual([]);
    expect(await r.readDeployments()).toBeNull();
    for (const v of ['v10', 'v2', 'v1']) await r.putModel({ version: v } as never);
    expect(await r.listVersions()).toEqual(['v1', 'v2', 'v10']);
    expect(await r.getModel('v2')).toEqual({ version: 'v2' });
    await expect(r.getModel('v9')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(r.getModel('../v1')).rejects.toBeInstanceOf(ModelNotFoundError);
    const state: DeploymentState = { current: 'v2', history: [{ version: 'v2', at: '2026-11-23T08:00:00.000Z', reason: 'test' }] };
    await r.writeDeployments(state);
    expect(await r.readDeployments()).toEqual(state);
    const keys = (await s3.client.send(new ListObjectsV2Command({ Bucket: 'registry-unit' }))).Contents?.map((o) => o.Key).sort();
    expect(keys).toEqual(['models/deployments.json', 'models/v1.json', 'models/v10.json', 'models/v2.json']);
  });

  it('a bucket that does not exist is an error, never an empty registry', async () => {
    const r = new S3Registry(s3.client, 'no-such-bucket');
    await expect(r.readDeployments()).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});

describe('ml-service with its registry in S3 (S3 stand-in)', () => {
  const sandbox = createSandbox();
  let s3: S3Emulator;
  let ml: ServiceProcess;
  const rng = seededRng(7);
  const env = () => ({ ...s3.env, MODEL_REGISTRY_S3_BUCKET: BUCKET, LOG_LEVEL: 'warn' });

  const deployments = async (): Promise<DeploymentState> => {
    const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'deployments.json' }));
    return JSON.parse(await out.Body!.transformToString()) as DeploymentState;
  };
  const current = async () => ((await fetch(`${ml.url}/admin/model`, { headers: admin }).then((r) => r.json())) as { current: string; available: string[] });

  beforeAll(async () => {
    s3 = await startS3Emulator({ buckets: [BUCKET] });
    ml = await sandbox.start('ml-service', env(), { waitReady: true });
  });
  afterAll(async () => {
    await sandbox.cleanup();
    await s3?.close();
  });

  it('seeds the bucket with the shipped versions and records the initial deployment there, not on disk', async () => {
    const keys = (await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents?.map((o) => o.Key).sort();
    expect(keys).toEqual(['deployments.json', 'v1.json', 'v2.json', 'v3.json', 'v4.json']);
    expect((await deployments()).current).toBe('v2');
    expect(await current()).toMatchObject({ current: 'v2', available: ['v1', 'v2', 'v3', 'v4'] });
    expect(existsSync(join(sandbox.stateDir, 'models'))).toBe(false);
    expect((await postJson(`${ml.url}/predict`, makePredictRequest(rng))).body.modelVersion).toBe('v2');
  });

  it('deploy → bad version → rollback goes through S3', async () => {
    const fault = await chaos(ml.url, 'POST', '', { type: 'bad-model', params: { version: 'v3' } });
    expect(fault.status, JSON.stringify(fault.body)).toBe(201);
    expect((await deployments()).current).toBe('v3');
    expect((await scrape(ml.url)).value('model_info{version="v3"}')).toBe(1);
    expect((await postJson(`${ml.url}/predict`, makePredictRequest(rng))).body.modelVersion).toBe('v3');

    const rolled = await postJson(`${ml.url}/admin/model/rollback`, {}, admin);
    expect(rolled.status).toBe(200);
    expect(rolled.body).toEqual({ current: 'v2', from: 'v3' });
    const recorded = await deployments();
    expect(recorded.current).toBe('v2');
    expect(recorded.history.map((h) => `${h.version} ${h.reason}`)).toEqual(['v2 initial deployment', 'v3 chaos: bad-model', 'v2 admin rollback']);
    // The rollback ended the fault, as remediation does.
    expect((await chaos(ml.url, 'GET')).body).toEqual([]);
  });

  it('a restarted service serves the version S3 records, with its history', async () => {
    expect((await postJson(`${ml.url}/admin/model/deploy`, { version: 'v1' }, admin)).status).toBe(200);
    expect((await deployments()).current).toBe('v1');
    ml.kill('SIGKILL');
    await ml.exited;
    ml = await sandbox.start('ml-service', env(), { waitReady: true });
    expect((await current()).current).toBe('v1');
    expect((await deployments()).history.at(-1)).toMatchObject({ version: 'v1', reason: 'admin deploy' });
    // Back to v2 for whoever runs next.
    expect((await postJson(`${ml.url}/admin/model/deploy`, { version: 'v2' }, admin)).status).toBe(200);
  });
});

describe('ml-service started before its S3 registry answers', () => {
  const sandbox = createSandbox();
  let s3: S3Emulator | undefined;
  afterAll(async () => {
    await sandbox.cleanup();
    await s3?.close();
  });

  it('is live but not ready, then loads its model once S3 answers', async () => {
    const port = await freePort();
    const env = {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      MODEL_REGISTRY_S3_BUCKET: BUCKET,
      LOG_LEVEL: 'warn',
    };
    const ml = await sandbox.start('ml-service', env);
    const ready = await fetch(`${ml.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ reason: 'no model loaded' });
    expect((await postJson(`${ml.url}/predict`, makePredictRequest(seededRng(1)))).status).toBe(503);
    // The first attempt has to fail (and say so) before S3 comes up: the SDK's own retries can
    // outlast the checks above on a loaded machine.
    for (let i = 0; i < 200 && !ml.output().includes('model registry not reachable yet'); i++) await sleep(100);
    expect(ml.output()).toContain('model registry not reachable yet');

    s3 = await startS3Emulator({ buckets: [BUCKET], port });
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = (await fetch(`${ml.url}/ready`)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status, ml.output()).toBe(200);
    expect((await postJson(`${ml.url}/predict`, makePredictRequest(seededRng(1)))).body.modelVersion).toBe('v2');
  });
});
