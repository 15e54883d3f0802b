import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';
import { runCli, startCli } from '../../helpers/cli.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';

/** The sandbox as a user drives it: the real CLI in its own process, real child processes. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

async function sandbox() {
  const iso = await isolatedSandbox('lifecycle-');
  cleanups.push(() => runCli(['down'], iso.env, 60_000));
  const registry = new PidRegistry(join(iso.stateDir, 'pids'));
  return { ...iso, registry };
}

const READY = /Ctrl-C stops everything/;

describe('sandbox lifecycle', () => {
  it('Ctrl-C in the foreground stops every process and exits 0', async () => {
    const { env, registry } = await sandbox();
    const { child } = await startCli(['up', '--runtime', 'native'], env, READY);
    const pids = registry.entries().map((e) => e.pid);
    // Prometheus, Alertmanager, the blackbox exporter, two services, and the platform receivers
    // (sink and controller in one process).
    expect(pids.length).toBe(6); // prometheus, alertmanager, blackbox exporter, 2 sample services, platform-receivers
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(registry.entries()).toEqual([]);
  });

  it('after SIGKILL of the CLI the reaper stops everything it started', async () => {
    const { env, registry } = await sandbox();
    const { child } = await startCli(['up', '--runtime', 'native'], env, READY);
    const pids = registry.entries().map((e) => e.pid);
    // Prometheus, Alertmanager, the blackbox exporter, two services, and the platform receivers
    // (sink and controller in one process).
    expect(pids.length).toBe(6);
    child.kill('SIGKILL');
    expect(await waitFor(() => pids.every((p) => !isAlive(p)), 15_000)).toBe(true);
    const status = await runCli(['status', '--json'], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false });
  });

  it('when the CLI and its reaper are both killed, the next command reaps what they left', async () => {
    const { env, registry, stateDir } = await sandbox();
    const { child } = await startCli(['up', '--runtime', 'native'], env, READY);
    const pids = registry.entries().map((e) => e.pid);
    const reaperPid = Number(readFileSync(join(stateDir, 'logs', 'reaper.log'), 'utf8').match(/^reaper pid (\d+)/m)?.[1]);
    expect(reaperPid).toBeGreaterThan(0);
    process.kill(reaperPid, 'SIGKILL');
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    expect(pids.filter(isAlive).length).toBe(pids.length);
    const down = await runCli(['down'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`reaped ${pids.length} process\\(es\\)`));
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('up --detach returns, status --json follows the contract, down stops it', async () => {
    const { env, registry, portOffset } = await sandbox();
    const up = await runCli(['up', '--detach', '--runtime', 'native'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/sandbox running in the background \(native runtime/);
    // The background sandbox runs the built host entry, not the whole CLI.
    const hostPid = Number(/pid (\d+)\)/.exec(up.stdout)?.[1]);
    expect(readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0')[1]).toMatch(/sandbox-build\/\w+\/scripts\/engine\/host-main\.mjs$/);
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout);
    expect(status.runtime).toBe('native');
    expect(status.components).toContainEqual(expect.objectContaining({ name: 'prometheus', state: 'ready', url: `http://127.0.0.1:${portPlan(portOffset).stack('prometheus')}` }));
    // Everything this machine can run is ready; what it cannot (no binary) says why.
    for (const c of status.components) {
      if (c.state === 'unavailable') expect(c.reason, c.name).toMatch(/binary|docker runtime only/);
      else expect(c.state, c.name).toBe('ready');
    }
    for (const name of ['prometheus', 'alertmanager', 'ml-service', 'api-gateway', 'notification-sink', 'remediation-controller']) {
      expect(status.components.find((c: { name: string }) => c.name === name)?.state, name).toBe('ready');
    }
    // Runbook links move with the ports like every other link: Prometheus serves the rendered
    // rules, and each link opens its page on this sandbox's control API.
    const ports = portPlan(portOffset);
    const rules = (await (await fetch(`http://127.0.0.1:${ports.stack('prometheus')}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { rules: { name: string; annotations: Record<string, string> }[] }[] };
    };
    const links = rules.data.groups.flatMap((g) => g.rules).map((r) => [r.name, r.annotations.runbook_url ?? ''] as const);
    expect(links.length).toBeGreaterThan(15);
    for (const [name, link] of links) expect(link, name).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports.control}/runbooks/\\w+$`));
    const page = await fetch(links.find(([name]) => name === 'ServiceDown')![1]);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/ServiceDown/);
    const again = await runCli(['up', '--detach', '--runtime', 'native'], env);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/error\[SANDBOX_ALREADY_RUNNING\]/);
    const pids = registry.entries().map((e) => e.pid);
    const down = await runCli(['down'], env);
    expect(down.stdout).toMatch(/stopped the sandbox/);
    expect([...pids, hostPid].filter(isAlive)).toEqual([]);
  });

  it('refuses to start when a port is taken, naming it, and leaves nothing running', async () => {
    const { env, registry, portOffset } = await sandbox();
    const port = portPlan(portOffset).stack('prometheus');
    const server = createServer();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const up = await runCli(['up', '--runtime', 'native'], env);
      expect(up.code).toBe(3);
      expect(up.stderr).toMatch(new RegExp(`error\\[PORT_IN_USE\\]: port ${port} \\(for prometheus \\(http\\)\\) is in use by pid ${process.pid}`));
      expect(registry.entries()).toEqual([]);
    } finally {
      server.close();
    }
  });
});
