import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

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
    const urls = JSON.stringify(config.receivers).match(/"(?:url|api_url)":"[^"]*"/g) ?? [];
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
