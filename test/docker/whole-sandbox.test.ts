import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerClient, probeDockerEngine } from '../../scripts/runtime/docker/engine.ts';
import { runCli } from '../helpers/cli.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';

// Runs wherever a Docker engine answers; elsewhere it is skipped on purpose, with one line that says why.
const engine = await probeDockerEngine();
if (!engine.available) console.log(`docker suite (whole sandbox) skipped: no Docker engine answers (${engine.reason})`);

interface Expectation {
  kind: string;
  passed: boolean;
  message: string;
}

/**
 * The whole product on the docker runtime, through the real CLI: the services export to the
 * containers (OTLP traces to Tempo, OTLP logs to Loki), and the scenarios verify correlation end
 * to end: an exemplar's trace_id and a log line's trace_id both resolve in Tempo.
 */
describe.skipIf(!engine.available)('the whole sandbox on the docker runtime', () => {
  it('passes scenarios/lgtm/ (logs in Loki, error spans in Tempo, exemplar → trace and log → trace links)', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-lgtm-');
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(['test', 'scenarios/lgtm/', '--runtime', 'docker', '--parallel', '1', '-q', '--report-dir', reportDir], env, 600_000);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { runtime: string; scenarios: { name: string; outcome: string; expectations: Expectation[] }[] };
    const failed = report.scenarios.flatMap((s) => s.expectations.filter((e) => !e.passed).map((e) => `${s.name}: ${e.kind}: ${e.message}`));
    expect(r.code, `${failed.join('\n')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    expect(report.runtime).toBe('docker');
    const kinds = report.scenarios.flatMap((s) => s.expectations.map((e) => e.kind));
    for (const k of ['logs', 'trace', 'correlation']) expect(kinds).toContain(k);
  }, 900_000);

  it('passes service-crash, with every container gone after the run', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-crash-');
    const r = await runCli(['test', 'scenarios/service-crash.yaml', '--runtime', 'docker', '--parallel', '1', '-q', '--report-dir', join(stateDir, 'reports')], env, 600_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // Containers carry the state dir as a label (session.ts): none may outlive `sandbox test`.
    const docker = await dockerClient();
    const left = await docker.listContainers({ all: true, filters: { label: [`org.observability-sandbox.state-dir=${stateDir}`] } });
    expect(left.map((c) => c.Names.join(','))).toEqual([]);
  }, 900_000);

  it('runs the k6 engine in the grafana/k6 image when no k6 binary is on PATH, with the container gone after the run', async () => {
    const { env, stateDir } = await isolatedSandbox('docker-k6-');
    // PATH without any directory that holds a k6 executable: the docker runtime must use the image.
    const path = (env.PATH ?? '').split(delimiter).filter((dir) => {
      try {
        accessSync(join(dir, 'k6'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    });
    const reportDir = join(stateDir, 'reports');
    const r = await runCli(
      ['test', 'test/fixtures/scenarios/k6-docker.yaml', '--runtime', 'docker', '--parallel', '1', '-q', '--report-dir', reportDir],
      { ...env, PATH: path.join(delimiter) },
      600_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { scenarios: { name: string; load?: { sent: number; failed: number } }[] };
    const load = report.scenarios.find((s) => s.name === 'k6-docker')?.load;
    // 10 rps for 15 s through host.testcontainers.internal to the api-gateway on the host.
    expect(load?.sent).toBeGreaterThanOrEqual(140);
    expect(load?.failed).toBe(0);
    const docker = await dockerClient();
    const left = await docker.listContainers({ all: true, filters: { label: [`org.observability-sandbox.state-dir=${stateDir}`] } });
    expect(left.map((c) => c.Names.join(','))).toEqual([]);
  }, 900_000);
});
