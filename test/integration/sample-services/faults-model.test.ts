import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePredictRequest } from '../../../sample-services/shared/payloads.ts';
import { seededRng } from '../../../sample-services/shared/random.ts';
import { chaos, createSandbox, postJson, scrape, TOKEN, type ServiceProcess } from './harness.ts';

const admin = { 'x-chaos-token': TOKEN };

/** bad-model: a real bad version is deployed, prediction error jumps, and clearing or rollback repairs it. */
describe('model faults', () => {
  const sandbox = createSandbox();
  let ml: ServiceProcess;
  const rng = seededRng(99);

  /** Mean absolute error of `n` predictions with known true RUL, read from the service's own histogram. */
  async function meanError(n: number, version: string): Promise<number> {
    const before = await scrape(ml.url);
    for (let i = 0; i < n; i++) expect((await postJson(`${ml.url}/predict`, makePredictRequest(rng))).status).toBe(200);
    const after = await scrape(ml.url);
    const series = (s: string) => `model_prediction_error_${s}{version="${version}"}`;
    const count = after.value(series('count')) - before.value(series('count'));
    expect(count).toBe(n);
    return (after.value(series('sum')) - before.value(series('sum'))) / count;
  }

  beforeAll(async () => {
    ml = await sandbox.start('ml-service');
  });
  afterEach(() => chaos(ml.url, 'DELETE'));
  afterAll(() => sandbox.cleanup());

  it('serves v2 from a registry seeded with the shipped models', async () => {
    const state = (await fetch(`${ml.url}/admin/model`, { headers: admin }).then((r) => r.json())) as any;
    expect(state.current).toBe('v2');
    expect(state.available).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect((await fetch(`${ml.url}/admin/model`)).status).toBe(401);
  });

  it('bad-model makes the error histogram jump and the previous version returns on clear', async () => {
    const good = await meanError(40, 'v2');
    const res = await chaos(ml.url, 'POST', '', { type: 'bad-model', params: {} });
    expect(res.status).toBe(201);
    expect((await scrape(ml.url)).value('model_info{version="v3"}')).toBe(1);
    const bad = await meanError(40, 'v3');
    expect(bad).toBeGreaterThan(good * 1.8);
    expect(bad).toBeGreaterThan(70);

    await chaos(ml.url, 'DELETE', `/${res.body.id}`);
    const m = await scrape(ml.url);
    expect(m.value('model_info{version="v2"}')).toBe(1);
    expect(m.text).not.toContain('model_info{version="v3"}');
    expect(await meanError(20, 'v2')).toBeLessThan(60);
  });

  it('the NaN variant answers null predictions, counted as invalid', async () => {
    await chaos(ml.url, 'POST', '', { type: 'bad-model', params: { version: 'v4' } });
    const before = await scrape(ml.url);
    const res = await postJson(`${ml.url}/predict`, makePredictRequest(rng));
    expect(res.status).toBe(200);
    expect(res.body.rul).toBeNull();
    const after = await scrape(ml.url);
    expect(after.value('model_invalid_predictions_total{version="v4"}') - before.value('model_invalid_predictions_total{version="v4"}')).toBe(1);
  });

  it('rollback (remediation) restores the last validated version and ends the fault', async () => {
    const res = await chaos(ml.url, 'POST', '', { type: 'bad-model', params: { version: 'v3' } });
    await chaos(ml.url, 'POST', '', { type: 'bad-model', params: { version: 'v4' } });
    const rolled = await postJson(`${ml.url}/admin/model/rollback`, {}, admin);
    expect(rolled.status).toBe(200);
    expect(rolled.body).toEqual({ current: 'v2', from: 'v4' });
    expect((await chaos(ml.url, 'GET')).body).toEqual([]);
    const audit = readFileSync(join(sandbox.stateDir, 'audit', 'chaos.jsonl'), 'utf8');
    expect(audit).toContain(`"id":"${res.body.id}","type":"bad-model","reason":"remediation"`);
    const history = ((await fetch(`${ml.url}/admin/model`, { headers: admin }).then((r) => r.json())) as any).history;
    expect(history.at(-1)).toMatchObject({ version: 'v2', reason: 'admin rollback' });
  });

  it('deploy validates the version; bad-model validates its param', async () => {
    expect((await postJson(`${ml.url}/admin/model/deploy`, { version: 'v9' }, admin)).status).toBe(404);
    expect((await postJson(`${ml.url}/admin/model/deploy`, {}, admin)).status).toBe(400);
    const deployed = await postJson(`${ml.url}/admin/model/deploy`, { version: 'v1' }, admin);
    expect(deployed.body).toEqual({ current: 'v1' });
    const bad = await chaos(ml.url, 'POST', '', { type: 'bad-model', params: { version: 'v9' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/params\.version: no model version "v9"/);
    await postJson(`${ml.url}/admin/model/deploy`, { version: 'v2' }, admin);
  });

  it('a model-registry outage makes deployments fail with 503, and clears', async () => {
    await chaos(ml.url, 'POST', '', { type: 'dependency-outage', params: { dependency: 'model-registry' } });
    const res = await postJson(`${ml.url}/admin/model/deploy`, { version: 'v1' }, admin);
    expect(res.status).toBe(503);
    expect(res.body.error).toContain('model registry unreachable');
    // Serving goes on with the model in memory.
    expect((await postJson(`${ml.url}/predict`, makePredictRequest(rng))).status).toBe(200);
    await chaos(ml.url, 'DELETE');
    expect((await postJson(`${ml.url}/admin/model/deploy`, { version: 'v2' }, admin)).status).toBe(200);
  });
});
