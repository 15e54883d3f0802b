import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/core/paths.ts';
import { isolatedSandbox } from '../helpers/isolation.ts';
import { NOTHING_LEFT, settleLeftovers } from '../helpers/leftovers.ts';

/**
 * The package another repository installs: `npm pack` of this one into a fresh empty project,
 * whose own scenarios and rules `npx sandbox test` runs against the bundled stack and sample
 * services; whose TypeScript imports of `observability-sandbox` and `observability-sandbox/vitest`
 * type-check; and whose vitest file runs a scenario through the integration, all from the
 * package's built dist/. npm installs from its cache where it can (--prefer-offline).
 */
describe('npm pack, installed into an empty project', () => {
  it('runs that project’s scenarios and rules from the CLI and from vitest, typed', async () => {
    const work = mkdtempSync(join(tmpdir(), 'e2e-package-'));
    const packed = await sh('npm', ['pack', '--pack-destination', work, '--silent'], PROJECT_ROOT);
    expect(packed.code, packed.output).toBe(0);
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    // The build stays out of the checkout: dist/ exists only while packing.
    expect(readdirSync(PROJECT_ROOT)).not.toContain('dist');

    const project = join(work, 'consumer');
    mkdirSync(join(project, 'my-scenarios'), { recursive: true });
    mkdirSync(join(project, 'test'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const npmInstall = (args: string[]) => sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args], project);
    const installed = await npmInstall([tarball]);
    expect(installed.code, installed.output).toBe(0);
    const dev = await npmInstall(['-D', 'typescript', '@types/node', 'vitest']);
    expect(dev.code, dev.output).toBe(0);

    writeFileSync(
      join(project, 'my-rules.yml'),
      [
        'groups:',
        '  - name: team',
        '    rules:',
        '      - alert: TeamGatewayErrors',
        '        expr: sum(rate(http_server_request_duration_seconds_count{service="api-gateway", http_response_status_code=~"5.."}[10s])) > 0.5',
        '        for: 2s',
        '        labels: { severity: warning, service: api-gateway }',
        '        annotations: { summary: "api-gateway answers 5xx to users" }',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'my-scenarios', 'gateway-errors.yaml'),
      [
        'name: gateway-errors',
        "description: the team's own alert catches ml-service errors reaching users through the gateway",
        'targets: { mttd: 15s }',
        'rules: [../my-rules.yml]',
        'load: { rate: 10, duration: 20s }',
        'faults:',
        '  - { type: errors, service: ml-service, at: 3s, params: { ratio: 0.5, status: 500 } }',
        'expect:',
        '  - alert: TeamGatewayErrors',
        '    within: 15s',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'test', 'monitoring.test.ts'),
      [
        "import { scenarioTests } from 'observability-sandbox/vitest';",
        "scenarioTests(['my-scenarios/'], { runtime: 'native', portOffset: Number(process.env.SANDBOX_PORT_OFFSET), stateDir: `${process.env.SANDBOX_STATE_DIR}/vitest`, reportDir: `${process.env.SANDBOX_STATE_DIR}/vitest-reports`, allowRules: ['my-rules.yml'], reporters: ['json'] });",
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'check.ts'),
      [
        "import { runSuite, SandboxError, type Reporter, type ScenarioResult } from 'observability-sandbox';",
        "import { assertScenarioPassed, scenarioTests } from 'observability-sandbox/vitest';",
        "const mine: Reporter = { name: 'mine', onScenarioEnd: (r: ScenarioResult) => void r.outcome };",
        "const outcome = await runSuite({ scenarios: ['my-scenarios/'], allowRules: ['my-rules.yml'], runtime: 'native', reporters: ['json', mine] });",
        'const passed: boolean = outcome.report.passed;',
        '// @ts-expect-error: not a runtime',
        "await runSuite({ runtime: 'kubernetes' });",
        'void [passed, SandboxError, assertScenarioPassed, scenarioTests];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] }, include: ['check.ts', 'test'] }),
    );
    const tsc = await sh(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
    expect(tsc.code, tsc.output).toBe(0);

    const bin = join(project, 'node_modules/.bin/sandbox');
    const version = await sh(bin, ['--version'], project);
    expect(version.output.trim()).toBe(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version);

    const { env, stateDir } = await isolatedSandbox('e2e-package-run-');
    // `up --detach` starts the background sandbox from the package's built host entry (not the
    // whole CLI); it becomes ready, and `down` stops it and everything it started.
    const up = await sh(bin, ['up', '--detach', '--runtime', 'native'], project, env);
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/sandbox running in the background \(native runtime, pid \d+\)/);
    const hostPid = Number(/pid (\d+)\)/.exec(up.output)![1]);
    expect(readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0')[1]).toBe(join(realpathSync(project), 'node_modules/observability-sandbox/dist/scripts/engine/host-main.mjs'));
    const running = JSON.parse((await sh(bin, ['status', '--json'], project, env)).output) as { components: { name: string; state: string }[] };
    for (const name of ['prometheus', 'alertmanager', 'ml-service', 'api-gateway', 'notification-sink', 'remediation-controller']) {
      expect(running.components.find((c) => c.name === name)?.state, name).toBe('ready');
    }
    const down = await sh(bin, ['down'], project, env);
    expect(down.code, down.output).toBe(0);
    expect(await settleLeftovers(stateDir, [hostPid])).toEqual(NOTHING_LEFT);

    // The team's rule file lies outside its scenarios' directory and outside this package: it is
    // refused, naming the fix, until the command line allows it.
    const refused = await sh(bin, ['test', 'my-scenarios/', '--runtime', 'native'], project, env);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toMatch(/rule file "\.\.\/my-rules\.yml" .* is outside the scenario's directory .* --allow-rules /);
    const test = await sh(bin, ['test', 'my-scenarios/', '--allow-rules', 'my-rules.yml', '--runtime', 'native', '--report-dir', join(stateDir, 'reports')], project, env);
    expect(test.code, test.output).toBe(0);
    const report = JSON.parse(readFileSync(join(stateDir, 'reports', 'report.json'), 'utf8')) as { scenarios: { name: string; outcome: string; metrics: { mttdSeconds: number } }[] };
    expect(report.scenarios).toMatchObject([{ name: 'gateway-errors', outcome: 'passed' }]);

    const vitest = await sh(process.execPath, [join(project, 'node_modules/vitest/vitest.mjs'), 'run'], project, env);
    expect(vitest.code, vitest.output).toBe(0);
    expect(vitest.output).toMatch(/✓ .*gateway-errors/);
    const viaVitest = JSON.parse(readFileSync(join(stateDir, 'vitest-reports', 'report.json'), 'utf8')) as { scenarios: { name: string; outcome: string }[] };
    expect(viaVitest.scenarios).toMatchObject([{ name: 'gateway-errors', outcome: 'passed' }]);
  }, 600_000);
});

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}
