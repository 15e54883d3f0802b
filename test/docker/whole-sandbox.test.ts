import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerClient, probeDockerEngine } from '../../scripts/runtime/docker/engine.ts';
import { ensureImage } from '../../scripts/runtime/docker/pull.ts';
import { networkModeFor } from '../../scripts/runtime/select-runtime.ts';
import { K6_IMAGE_REF } from '../../scripts/load/k6/image.ts';
import { portPlan } from '../../scripts/stack/catalog.ts';
import { isAlive } from '../../scripts/runtime/processes/pid-registry.ts';
import { readSessionInfo, stateLayout } from '../../scripts/runtime/state.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';
import { reaperPid } from '../helpers/leftovers.ts';

// Runs wherever a Docker engine answers whose containers can reach this machine's loopback;
// elsewhere it is skipped on purpose, with one line that says why.
const engine = await probeDockerEngine();
const mode = engine.kind ? networkModeFor(engine.kind) : null;
const usable = engine.available && typeof mode === 'string';
if (!usable) console.log(`docker suite (whole sandbox) skipped: ${engine.available ? (mode as Error).message : `no Docker engine answers (${engine.reason})`}`);

interface Report {
  runtime: string;
  passed: boolean;
  scenarios: { name: string; outcome: string; error?: { code: string; message: string; hint?: string }; expectations: { kind: string; passed: boolean; message: string }[]; load?: { sent: number; failed: number } }[];
}
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;

/** Containers labelled with this state dir, running or not: what `down` and the next command reap. */
async function containersOf(stateDir: string): Promise<string[]> {
  const docker = await dockerClient();
  const found = await docker.listContainers({ all: true, filters: { label: [`org.observability-sandbox.state-dir=${stateDir}`] } });
  return found.map((c) => `${c.Image} ${c.State}`);
}

/** Networks labelled with this state dir: the sandbox's bridge network (none with host networking). */
async function networksOf(stateDir: string): Promise<{ name: string; labels: Record<string, string> }[]> {
  const docker = await dockerClient();
  const found = await docker.listNetworks({ filters: { label: [`org.observability-sandbox.state-dir=${stateDir}`] } });
  return found.map((n) => ({ name: n.Name, labels: n.Labels ?? {} }));
}

/** Milliseconds until no container and no network carries the state dir's label; null if some still do after `withinMs`. */
async function goneWithin(stateDir: string, withinMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < withinMs) {
    if ((await containersOf(stateDir)).length === 0 && (await networksOf(stateDir)).length === 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

async function untilDead(pid: number, withinMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (isAlive(pid) && Date.now() - t0 < withinMs) await new Promise((r) => setTimeout(r, 100));
  return !isAlive(pid);
}

/** Every listening TCP socket on the sandbox's ports, as local address:port (from /proc, both families). */
function listenersOn(ports: ReadonlySet<number>): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A: LISTEN
      const [hexAddr, hexPort] = f[1]!.split(':');
      const port = parseInt(hexPort!, 16);
      if (!ports.has(port)) continue;
      out.push(`${decodeAddress(hexAddr!)}:${port}`);
    }
  }
  return out;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) return Buffer.from(hex, 'hex').reverse().join('.');
  // IPv6 in /proc: four little-endian 32-bit words.
  if (hex === '00000000000000000000000000000000') return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return `::ffff:${Buffer.from(hex.slice(24), 'hex').reverse().join('.')}`;
  return hex;
}

const isLoopback = (addr: string) => /^127\.|^::1:|^::ffff:127\./.test(addr);

describe.skipIf(!usable)('the whole sandbox on the docker runtime', () => {
  it('up --detach / status / down: Prometheus and Alertmanager ready, an unpullable optional image unavailable with the fix, nothing listening beyond loopback, nothing left after down', async () => {
    const { env: base, stateDir, portOffset } = await isolatedSandbox('docker-up-');
    // An image no registry has: optional Grafana is left unavailable, the sandbox starts without it.
    const env = { ...base, SANDBOX_GRAFANA_IMAGE: 'observability-sandbox-test/no-such-image:0' };
    const up = await runCli(['up', '--detach', '--runtime', 'docker'], env, 300_000);
    try {
      expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
      const status = await runCli(['status', '--json'], env);
      const doc = JSON.parse(status.stdout) as { runtime: string; components: { name: string; state: string; reason?: string; hint?: string }[] };
      expect(doc.runtime).toBe('docker');
      const byName = new Map(doc.components.map((c) => [c.name, c]));
      for (const n of ['prometheus', 'alertmanager', 'api-gateway', 'ml-service', 'notification-sink', 'remediation-controller']) expect(byName.get(n)?.state, n).toBe('ready');
      expect(byName.get('grafana')).toMatchObject({ state: 'unavailable' });
      expect(byName.get('grafana')!.reason).toMatch(/^image observability-sandbox-test\/no-such-image:0 could not be pulled: /);
      expect(byName.get('grafana')!.hint).toContain('`docker pull observability-sandbox-test/no-such-image:0`');
      expect(byName.get('grafana')!.hint).toContain('`--without grafana`');
      // ml-service starts and serves whether LocalStack runs or not (deliverable 4).
      expect(byName.get('ml-service')!.state).toBe('ready');

      // Issue 14: alertmanager.yml carries the session token; the container's own user (nobody)
      // reads it through the bind mount, and the 0700 stack directory keeps other users out.
      const amFile = join(stateDir, 'stack/alertmanager/config/alertmanager.yml');
      expect(readFileSync(amFile, 'utf8')).toContain(`credentials: ${readSessionInfo(stateLayout(stateDir))!.chaosToken}`);
      expect(statSync(join(stateDir, 'stack')).mode & 0o777).toBe(0o700);

      // Issue 14 deliverable 2, docker half: every socket on the sandbox's ports is loopback,
      // and no container publishes a port anywhere else (no sshd, no forwarder).
      const ports = new Set(portPlan(portOffset).all().map((p) => p.port));
      const listening = listenersOn(ports);
      expect(listening.length).toBeGreaterThan(5);
      expect(listening.filter((a) => !isLoopback(a))).toEqual([]);
      const docker = await dockerClient();
      for (const c of await docker.listContainers({ filters: { label: [`org.observability-sandbox.state-dir=${stateDir}`] } })) {
        expect(c.Image).not.toMatch(/sshd/);
        for (const p of c.Ports) if (p.IP) expect(isLoopback(p.IP) ? p.IP : `${c.Image} published on ${p.IP}:${p.PublicPort}`).toMatch(/^127\./);
      }
    } finally {
      const down = await runCli(['down'], env);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await containersOf(stateDir)).toEqual([]);
  }, 600_000);

  it('crash, crash-loop and dependency-outage pass end to end, with every container gone after the run', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-faults-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(
      ['test', 'scenarios/service-crash.yaml', 'scenarios/crash-loop.yaml', 'scenarios/dependency-outage.yaml', '--runtime', 'docker', '--parallel', '1', '-q', '--report-dir', reportDir],
      env,
      900_000,
    );
    const report = readReport(reportDir);
    const failed = report.scenarios.flatMap((s) => [...(s.error ? [`${s.name}: ${s.error.code} ${s.error.message}`] : []), ...s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.kind}: ${e.message}`)]);
    expect(r.code, `${failed.join('\n')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    expect(report.runtime).toBe('docker');
    expect(report.scenarios.map((s) => [s.name, s.outcome])).toEqual([
      ['service-crash', 'passed'],
      ['crash-loop', 'passed'],
      ['dependency-outage', 'passed'],
    ]);
    expect(await containersOf(stateDir)).toEqual([]);
  }, 900_000);

  it('SIGKILL of the CLI mid-scenario: its reaper removes every container within seconds, with no further command', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-kill-');
    const { child } = await startCli(['test', 'scenarios/service-crash.yaml', '--runtime', 'docker', '--parallel', '1'], env, /RUN\s+service-crash/, 300_000);
    await new Promise((r) => setTimeout(r, 3000));
    const before = await containersOf(stateDir);
    expect(before.length).toBeGreaterThan(0);
    const reaper = reaperPid(stateDir);
    expect(reaper).toBeGreaterThan(0);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // No Ryuk here (or anywhere it is disabled), and no command after the kill: the reaper alone.
    const ms = await goneWithin(stateDir, 10_000);
    if (ms === null) {
      const left = await containersOf(stateDir);
      await runCli(['down'], env);
      expect.fail(`still there 10 s after the kill: ${left.join(', ')}`);
    }
    console.log(`docker suite: ${before.length} container(s) of a SIGKILLed CLI gone ${ms} ms after the kill`);
    expect(await untilDead(reaper!, 15_000)).toBe(true);
    expect(readFileSync(join(stateDir, 'logs', 'reaper.log'), 'utf8')).toMatch(new RegExp(`removed ${before.length} container\\(s\\) and 0 network\\(s\\)`));
    // The next command has nothing left to reap but the stale session file.
    const next = await runCli(['down'], env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).not.toMatch(/container/);
  }, 600_000);

  // Bridge networking is what Docker Desktop gets; forced here on any engine. (On a Linux engine
  // its containers cannot reach the host's loopback, so only the sandbox's start is asked of it.)
  const bridge = { SANDBOX_DOCKER_NETWORK: 'bridge' };

  it('bridge mode: the sandbox network carries its labels; SIGKILL of a detached host leaves neither containers nor network', async () => {
    const { env: base, stateDir } = await isolatedSandbox('docker-bridge-kill-');
    const env = { ...base, ...bridge };
    const up = await runCli(['up', '--detach', '--runtime', 'docker'], env, 300_000);
    try {
      expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
      const info = readSessionInfo(stateLayout(stateDir))!;
      const networks = await networksOf(stateDir);
      expect(networks).toHaveLength(1);
      expect(networks[0]!.labels).toMatchObject({ 'org.observability-sandbox.session': info.session, 'org.observability-sandbox.state-dir': stateDir });
      expect(networks[0]!.name).toBe(`observability-sandbox-${info.session}`);
      expect((await containersOf(stateDir)).length).toBeGreaterThanOrEqual(2);
      process.kill(info.hostPid, 'SIGKILL');
      const ms = await goneWithin(stateDir, 10_000);
      expect(ms, `still there 10 s after the kill: ${(await containersOf(stateDir)).join(', ')}; ${(await networksOf(stateDir)).map((n) => n.name).join(', ')}`).not.toBeNull();
      console.log(`docker suite (bridge): containers and network of a SIGKILLed detached host gone ${ms} ms after the kill`);
      expect(await untilDead(reaperPid(stateDir)!, 15_000)).toBe(true);
      expect(readFileSync(join(stateDir, 'logs', 'reaper.log'), 'utf8')).toMatch(/removed \d+ container\(s\) and 1 network\(s\)/);
    } finally {
      await runCli(['down'], env);
    }
  }, 600_000);

  it('bridge mode: when the CLI and its reaper are both killed, the next command reaps the containers and the network by label', async () => {
    const { env: base, stateDir } = await isolatedSandbox('docker-bridge-reap-');
    const env = { ...base, ...bridge };
    const up = await runCli(['up', '--detach', '--runtime', 'docker'], env, 300_000);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    const info = readSessionInfo(stateLayout(stateDir))!;
    process.kill(reaperPid(stateDir)!, 'SIGKILL');
    process.kill(info.hostPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    // Nothing removed them: no Ryuk here, and the reaper is gone.
    const containers = await containersOf(stateDir);
    expect(containers.length).toBeGreaterThan(0);
    expect(await networksOf(stateDir)).toHaveLength(1);
    const next = await runCli(['down'], env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/reaped \d+ process\(es\), container\(s\) and network\(s\)/);
    expect(await containersOf(stateDir)).toEqual([]);
    expect(await networksOf(stateDir)).toEqual([]);
  }, 600_000);

  it('a required image that cannot be pulled stops the start with exit 3, the reason and the exact fix, leaving nothing', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-nopull-');
    const r = await runCli(['up', '--runtime', 'docker'], { ...env, SANDBOX_PROMETHEUS_IMAGE: 'observability-sandbox-test/no-such-image:0' }, 300_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/^error\[IMAGE_UNAVAILABLE\]: the docker runtime needs prometheus, whose image could not be pulled: image observability-sandbox-test\/no-such-image:0 could not be pulled: /m);
    // Offline it is "no such host"; online the registry answers "pull access denied" (not found).
    expect(r.stderr).toMatch(/registry cannot be reached|no such image or tag/);
    expect(r.stderr).toMatch(/^hint: .*`docker pull observability-sandbox-test\/no-such-image:0`.*SANDBOX_PROMETHEUS_IMAGE/m);
    expect(r.stderr).not.toContain('--without prometheus');
    expect(await containersOf(stateDir)).toEqual([]);
  }, 600_000);

  it('passes scenarios/lgtm/ where Loki and Tempo run, and skips it naming them where their images cannot be pulled', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-lgtm-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'scenarios/lgtm/', '--runtime', 'docker', '--parallel', '1', '-q', '--report-dir', reportDir], env, 600_000);
    const report = readReport(reportDir);
    const failed = report.scenarios.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.kind}: ${e.message}`));
    expect(r.code, `${failed.join('\n')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    for (const s of report.scenarios) {
      if (s.outcome === 'skipped') {
        expect(s.error?.code).toBe('COMPONENT_UNAVAILABLE');
        expect(s.error?.message).toMatch(/needs (loki|tempo) .* could not be pulled/);
        expect(readFileSync(join(reportDir, 'junit.xml'), 'utf8')).toContain(`<skipped message="scenario ${s.name} needs`);
      } else {
        expect(s.outcome).toBe('passed');
        const kinds = s.expectations.map((e) => e.kind);
        for (const k of ['logs', 'trace', 'correlation']) expect(kinds).toContain(k);
      }
    }
  }, 900_000);

  it('refuses a k6 scenario before anything starts when no k6 binary is on PATH and the k6 image cannot be pulled', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-k6-nopull-');
    const path = pathWithout('k6', env.PATH);
    // An image no registry has, wherever this runs (offline, or a registry that answers "not found").
    const image = 'observability-sandbox-test/no-such-k6:0';
    const t0 = performance.now();
    const r = await runCli(['test', 'test/fixtures/scenarios/k6-docker.yaml', '--runtime', 'docker'], { ...env, PATH: path.join(delimiter), SANDBOX_K6_IMAGE: image }, 120_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^error\\[IMAGE_UNAVAILABLE\\]: \\S+k6-docker\\.yaml: load\\.engine is k6, but the k6 binary was not found on PATH and image ${image} could not be pulled: `, 'm'));
    expect(r.stderr).toMatch(/k6-docker\.yaml:\d+:\d+: load\.engine/);
    expect(r.stderr).toMatch(new RegExp(`^hint: install k6 .*\`docker pull ${image}\`.*SANDBOX_K6_IMAGE.*\`engine: builtin\``, 'm'));
    // Refused before the sandbox started: no reaper, no session, no container.
    expect(existsSync(join(stateDir, 'logs', 'reaper.log'))).toBe(false);
    expect(existsSync(join(stateDir, 'session.json'))).toBe(false);
    expect(await containersOf(stateDir)).toEqual([]);
    console.log(`docker suite: unrunnable k6 scenario refused in ${seconds.toFixed(1)} s`);
  }, 300_000);

  it('runs the k6 engine in the grafana/k6 image when no k6 binary is on PATH, with the container gone after the run', async (ctx) => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const pulled = await ensureImage(await getContainerRuntimeClient(), K6_IMAGE_REF).then(
      () => null,
      (e: unknown) => (e as Error).message,
    );
    if (pulled !== null) ctx.skip(`${K6_IMAGE_REF} cannot be pulled here: ${pulled}`);
    const { env, stateDir } = await isolatedSandbox('docker-k6-');
    // PATH without any directory that holds a k6 executable: the docker runtime must use the image.
    const path = pathWithout('k6', env.PATH);
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'test/fixtures/scenarios/k6-docker.yaml', '--runtime', 'docker', '--parallel', '1', '-q', '--report-dir', reportDir], { ...env, PATH: path.join(delimiter) }, 600_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const load = readReport(reportDir).scenarios.find((s) => s.name === 'k6-docker')?.load;
    // 10 rps for 15 s to the api-gateway on the host's loopback.
    expect(load?.sent).toBeGreaterThanOrEqual(140);
    expect(load?.failed).toBe(0);
    expect(await containersOf(stateDir)).toEqual([]);
  }, 900_000);
});

/** PATH's directories, without any that holds an executable `name`. */
function pathWithout(name: string, path: string | undefined): string[] {
  return (path ?? '').split(delimiter).filter((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}
