import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NativeRuntime } from '../../../scripts/runtime/native/native-runtime.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import { copyComponentConfig, writeTargets } from '../../../scripts/runtime/config/render.ts';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { stateLayout } from '../../../scripts/runtime/state.ts';
import type { StackPlan } from '../../../scripts/runtime/types.ts';
import { findStackComponent } from '../../../scripts/stack/catalog.ts';
import { isolatedSandbox } from '../../helpers/isolation.ts';

/**
 * Loki and Tempo have no Debian package, so the native runtime's "runs them when the binary is on
 * PATH" path is exercised with stand-in executables named `loki` and `tempo`: they read the
 * config file they are given exactly as the real binaries do with -config.expand-env=true
 * (${VAR} from the environment), record what they were started with, and answer /ready on the
 * configured address. The real binaries are covered by the docker suite.
 */
const STAND_IN = `#!/usr/bin/env node
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const arg = (name) => process.argv.slice(2).find((a) => a.startsWith('-' + name + '='))?.split('=').slice(1).join('=');
const file = arg('config.file');
let text = fs.readFileSync(file, 'utf8');
if (process.argv.includes('-config.expand-env=true')) text = text.replace(/\\$\\{(\\w+)\\}/g, (_, v) => process.env[v] ?? '');
const host = /http_listen_address: (\\S+)/.exec(text)[1];
const port = Number(/http_listen_port: (\\d+)/.exec(text)[1]);
fs.writeFileSync(path.join(process.env.STAND_IN_RECORDS, path.basename(process.argv[1]) + '.json'), JSON.stringify({ argv: process.argv.slice(2), config: text }));
http.createServer((req, res) => { res.statusCode = req.url === '/ready' ? 200 : 404; res.end('ready'); }).listen(port, host);
process.on('SIGTERM', () => process.exit(0));
`;

describe('native runtime with Loki and Tempo binaries on PATH', () => {
  const bin = mkdtempSync(join(tmpdir(), 'stand-in-bin-'));
  const records = mkdtempSync(join(tmpdir(), 'stand-in-records-'));
  const saved = { PATH: process.env.PATH, STAND_IN_RECORDS: process.env.STAND_IN_RECORDS };
  const runtimes: NativeRuntime[] = [];

  beforeAll(() => {
    for (const name of ['loki', 'tempo']) {
      writeFileSync(join(bin, name), STAND_IN);
      chmodSync(join(bin, name), 0o755);
    }
    process.env.PATH = `${bin}:${process.env.PATH}`;
    process.env.STAND_IN_RECORDS = records;
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  });
  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.STAND_IN_RECORDS === undefined) delete process.env.STAND_IN_RECORDS;
    else process.env.STAND_IN_RECORDS = saved.STAND_IN_RECORDS;
  });

  it.each(['loki', 'tempo'])('starts %s from the repository config with the sandbox ports, waits for /ready, and stops it', async (name) => {
    const spec = findStackComponent(name)!;
    const { stateDir, portOffset } = await isolatedSandbox(`native-${name}-`);
    const layout = stateLayout(stateDir);
    // Tempo remote-writes its generated metrics to Prometheus, so it comes with its dependencies.
    const components = [...(spec.dependsOn ?? []).map((d) => findStackComponent(d)!), spec];
    for (const c of components) copyComponentConfig(join(PROJECT_ROOT, c.configSource), layout.configDir(c.name));
    for (const job of ['prometheus', 'alertmanager', 'alertmanagers', 'sample-services', 'sandbox']) writeTargets(layout.configDir('prometheus'), job, []);
    const runtime = new NativeRuntime(new PidRegistry(layout.pidsDir), 'test');
    runtimes.push(runtime);
    const hostPort = (c: string, p: string) => components.find((x) => x.name === c)!.ports[p]! + portOffset;
    const plan: StackPlan = { components, hostPort, configDir: layout.configDir, dataDir: layout.dataDir, logFile: layout.logFile, labels: {} };

    const status = (await runtime.start(plan)).find((s) => s.name === name);
    const httpPort = hostPort(name, 'http');
    expect(status).toMatchObject({ name, state: 'ready', url: `http://127.0.0.1:${httpPort}` });
    expect((await fetch(`http://127.0.0.1:${httpPort}/ready`)).status).toBe(200);

    const started = JSON.parse(readFileSync(join(records, `${name}.json`), 'utf8')) as { argv: string[]; config: string };
    const configFile = join(layout.configDir(name), `${name}.yaml`);
    expect(started.argv).toEqual(expect.arrayContaining([`-config.file=${configFile}`, '-config.expand-env=true']));
    // The repository's file, with every placeholder filled for loopback and this sandbox's ports.
    expect(started.config).toContain(`http_listen_address: 127.0.0.1`);
    expect(started.config).toContain(`http_listen_port: ${httpPort}`);
    expect(started.config).toContain(layout.dataDir(name));
    expect(started.config).not.toMatch(/\$\{\w+\}/);
    if (name === 'tempo') {
      expect(started.config).toContain(`127.0.0.1:${hostPort(name, 'otlp-http')}`);
      expect(started.config).toContain(`127.0.0.1:${hostPort(name, 'otlp-grpc')}`);
      expect(started.config).toContain(`http://127.0.0.1:${hostPort('prometheus', 'http')}/api/v1/write`);
    }

    await runtime.stop();
    expect(runtime.status().find((s) => s.name === name)).toMatchObject({ state: 'stopped' });
    await expect(fetch(`http://127.0.0.1:${httpPort}/ready`)).rejects.toThrow();
  });
});
