import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAlertmanagerReceivers, SNS_RECEIVER } from '../../../scripts/runtime/config/alertmanager-receivers.ts';

/**
 * compose/alertmanager/alertmanager.yml checked by Alertmanager's own tool: amtool parses it
 * (receivers, inhibit rules, templates) and resolves every routing case in
 * compose/alertmanager/tests/routes.yaml to its exact receiver list.
 */
const root = join(import.meta.dirname, '../../..');
const configFile = join(root, 'compose/alertmanager/alertmanager.yml');
const casesFile = join(root, 'compose/alertmanager/tests/routes.yaml');

interface RouteCase {
  name: string;
  labels: Record<string, string>;
  receivers: string[];
}
const cases = (parse(readFileSync(casesFile, 'utf8')) as { cases: RouteCase[] }).cases;

function amtool(args: string[]) {
  const r = spawnSync('amtool', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`amtool could not run (${r.error.message}): install it (Debian/Ubuntu: \`sudo apt-get install prometheus-alertmanager\`)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('alertmanager.yml (amtool)', () => {
  beforeAll(() => {
    amtool(['--version']);
  });

  it('passes amtool check-config', () => {
    const r = amtool(['check-config', configFile]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/1 templates/);
  });

  it.each(cases.map((c) => [c.name, c] as const))('routes: %s', (_name, c) => {
    const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
    const r = amtool(['config', 'routes', 'test', `--config.file=${configFile}`, `--verify.receivers=${c.receivers.join(',')}`, ...labels]);
    expect(r.code, `${labels.join(' ')} should route to ${c.receivers.join(',')}; amtool said:\n${r.out}`).toBe(0);
  });

  it('amtool really fails a wrong expectation (so the cases above mean something)', () => {
    const r = amtool(['config', 'routes', 'test', `--config.file=${configFile}`, '--verify.receivers=log', 'alertname=ServiceDown', 'severity=critical']);
    expect(r.code).not.toBe(0);
  });

  it('every receiver URL uses a default base URL the sandbox rewrites', () => {
    const config = parse(readFileSync(configFile, 'utf8')) as { receivers: Record<string, unknown>[] };
    // The SNS receiver's api_url is LocalStack's network alias (alertmanager-receivers.ts).
    const urls = JSON.stringify(config.receivers.filter((r) => r.name !== SNS_RECEIVER)).match(/"(?:url|api_url)":"[^"]*"/g) ?? [];
    expect(urls.length).toBe(4);
    for (const u of urls) expect(u).toMatch(/"(?:url|api_url)":"http:\/\/127\.0\.0\.1:940[12]\//);
  });

  it('every receiver a built-in scenario expects a notification at exists', () => {
    const config = parse(readFileSync(configFile, 'utf8')) as { receivers: { name: string }[] };
    const names = new Set(config.receivers.map((r) => r.name));
    const dir = join(root, 'scenarios');
    const expected = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => {
        const s = parse(readFileSync(join(dir, f), 'utf8')) as { expect?: { notification?: { receiver?: string } }[] };
        return (s.expect ?? []).flatMap((e) => (e.notification?.receiver ? [`${f}: ${e.notification.receiver}`] : []));
      });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.filter((e) => !names.has(e.split(': ')[1]!))).toEqual([]);
  });
});

/**
 * The two renderings prepareStackConfig writes (scripts/runtime/config/alertmanager-receivers.ts):
 * with LocalStack (docker runtime) the SNS receiver publishes to its network alias; without it
 * (native, attached) the route and receiver are gone and everything else routes as before.
 */
describe('alertmanager.yml as rendered per runtime (amtool)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'am-receivers-'));
  const source = readFileSync(configFile, 'utf8');
  const render = (name: string, peer: string | null) => {
    const d = join(dir, name);
    cpSync(join(root, 'compose/alertmanager'), d, { recursive: true });
    const text = renderAlertmanagerReceivers(source, peer);
    writeFileSync(join(d, 'alertmanager.yml'), text);
    return { file: join(d, 'alertmanager.yml'), config: parse(text) as { receivers: { name: string; sns_configs?: { api_url: string; topic_arn: string; sigv4: Record<string, string> }[] }[] } };
  };
  const withLocalStack = render('docker', 'localstack:4566');
  const without = render('native', null);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with LocalStack: passes check-config and publishes to the sandbox topic at the peer address', () => {
    const r = amtool(['check-config', withLocalStack.file]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/5 receivers/);
    const sns = withLocalStack.config.receivers.find((x) => x.name === SNS_RECEIVER)!.sns_configs![0]!;
    expect(sns).toMatchObject({ api_url: 'http://localstack:4566', topic_arn: 'arn:aws:sns:us-east-1:000000000000:sandbox-alerts' });
    expect(sns.sigv4).toMatchObject({ region: 'us-east-1', access_key: 'test', secret_key: 'test' });
    expect(renderAlertmanagerReceivers(source, 'ls.example:4567')).toContain('api_url: http://ls.example:4567');
  });

  it('without LocalStack: passes check-config with no SNS receiver or route left', () => {
    const r = amtool(['check-config', without.file]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/4 receivers/);
    expect(without.config.receivers.map((x) => x.name)).not.toContain(SNS_RECEIVER);
    expect(readFileSync(without.file, 'utf8').replace(/#.*$/gm, '')).not.toMatch(/\bsns\b|localstack/);
    // Everything else survives the round trip: templates, inhibit rules, timers, comments.
    expect(readFileSync(without.file, 'utf8')).toContain('group_by: [alertname, service, sandbox_run]');
    expect(readFileSync(without.file, 'utf8')).toContain("'{{ template \"sandbox.slack.title\" . }}'");
  });

  it.each(cases.map((c) => [c.name, c] as const))('routes without LocalStack: %s', (_name, c) => {
    const expected = c.receivers.filter((x) => x !== SNS_RECEIVER);
    const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
    const r = amtool(['config', 'routes', 'test', `--config.file=${without.file}`, `--verify.receivers=${expected.join(',')}`, ...labels]);
    expect(r.code, `${labels.join(' ')} should route to ${expected.join(',')}; amtool said:\n${r.out}`).toBe(0);
  });

  it('routes with LocalStack: a critical alert reaches SNS, a warning does not', () => {
    const crit = amtool(['config', 'routes', 'test', `--config.file=${withLocalStack.file}`, '--verify.receivers=remediation,pagerduty,sns,slack', 'alertname=ServiceDown', 'severity=critical']);
    expect(crit.code, crit.out).toBe(0);
    const warn = amtool(['config', 'routes', 'test', `--config.file=${withLocalStack.file}`, '--verify.receivers=remediation,slack', 'alertname=ServiceNotReady', 'severity=warning']);
    expect(warn.code, warn.out).toBe(0);
  });
});
