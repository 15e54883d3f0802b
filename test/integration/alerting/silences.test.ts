import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMatchers, SilenceClient } from '../../../scripts/alerting/silences.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real Alertmanager: silences must be accepted, listed, matched against alerts and expired. */
describe('silences against a real Alertmanager', () => {
  let am: ChildProcess;
  let url: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'am-silence-'));
    writeFileSync(join(dir, 'am.yml'), 'route: { receiver: none }\nreceivers: [{ name: none }]\n');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    am = spawn('prometheus-alertmanager', [`--config.file=${dir}/am.yml`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${url}/-/ready`).then((r) => r.ok).catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('Alertmanager did not get ready');
  });
  afterAll(() => {
    am?.kill('SIGKILL');
  });

  it('an alert matching an active silence is suppressed; expiring the silence lifts it', async () => {
    const client = new SilenceClient(url);
    const id = await client.create(parseMatchers(['alertname=ServiceDown', 'service=~"ml-.*"']), 600, 'maintenance', 'test');
    const listed = await client.list();
    expect(listed.find((s) => s.id === id)).toMatchObject({ status: { state: 'active' }, comment: 'maintenance' });

    const post = (labels: Record<string, string>) =>
      fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ labels }]) });
    await post({ alertname: 'ServiceDown', service: 'ml-service' });
    await post({ alertname: 'ServiceDown', service: 'api-gateway' });
    const state = async () =>
      Object.fromEntries(
        ((await (await fetch(`${url}/api/v2/alerts`)).json()) as { labels: { service: string }; status: { state: string } }[]).map((a) => [a.labels.service, a.status.state]),
      );
    await expect.poll(state, { timeout: 5000 }).toEqual({ 'ml-service': 'suppressed', 'api-gateway': 'active' });

    await client.expire(id);
    expect((await client.list()).find((s) => s.id === id)?.status.state).toBe('expired');
    await expect.poll(state, { timeout: 5000 }).toEqual({ 'ml-service': 'active', 'api-gateway': 'active' });
  });

  it('a refused request names Alertmanager’s reason', async () => {
    await expect(new SilenceClient(url).expire('no-such-id')).rejects.toThrow(/Alertmanager refused DELETE/);
  });
});
