import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAlertmanagerReceivers, SNS_RECEIVER } from '../../../scripts/runtime/config/alertmanager-receivers.ts';
import { COMPOSE_FILE } from '../../../scripts/runtime/docker/compose-file.ts';

/** The SNS receiver in alertmanager.yml, its two renderings, and the compose copy (amtool checks: test/integration/alerting). */
interface Route {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: Route[];
}
interface AmConfig {
  route: Route;
  receivers: { name: string; sns_configs?: Record<string, unknown>[] }[];
}

const source = readFileSync(join(import.meta.dirname, '../../../compose/alertmanager/alertmanager.yml'), 'utf8');
const routesTo = (r: Route, name: string): Route[] => [...(r.receiver === name ? [r] : []), ...(r.routes ?? []).flatMap((c) => routesTo(c, name))];

describe('Alertmanager SNS receiver (LocalStack)', () => {
  it('the shipped config publishes critical alerts to the sandbox topic, and lets later routes see them too', () => {
    const am = parse(source) as AmConfig;
    const [route] = routesTo(am.route, SNS_RECEIVER);
    expect(route).toEqual({ matchers: ['severity="critical"'], receiver: 'sns', continue: true });
    const sns = am.receivers.find((r) => r.name === SNS_RECEIVER)!.sns_configs![0]!;
    expect(sns).toMatchObject({
      api_url: 'http://localstack:4566',
      topic_arn: 'arn:aws:sns:us-east-1:000000000000:sandbox-alerts',
      sigv4: { region: 'us-east-1', access_key: 'test', secret_key: 'test' },
      send_resolved: true,
    });
  });

  it('rendered without LocalStack: no route or receiver named sns, the rest unchanged', () => {
    const full = parse(source) as AmConfig;
    const native = parse(renderAlertmanagerReceivers(source, null)) as AmConfig;
    expect(routesTo(native.route, SNS_RECEIVER)).toEqual([]);
    expect(native.receivers.map((r) => r.name)).toEqual(full.receivers.map((r) => r.name).filter((n) => n !== SNS_RECEIVER));
    const withoutSns = (r: Route): Route => ({ ...r, ...(r.routes ? { routes: r.routes.filter((c) => c.receiver !== SNS_RECEIVER).map(withoutSns) } : {}) });
    expect(native.route).toEqual(withoutSns(full.route));
  });

  it('rendered with LocalStack: api_url is the peer address the runtime gives', () => {
    const am = parse(renderAlertmanagerReceivers(source, 'aws-emulator:4567')) as AmConfig;
    expect(am.receivers.find((r) => r.name === SNS_RECEIVER)!.sns_configs![0]!.api_url).toBe('http://aws-emulator:4567');
    expect(renderAlertmanagerReceivers(source, 'localstack:4566')).toBe(source);
  });

  it('docker-compose.yml carries the SNS variant, reaching LocalStack by its service name', () => {
    const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { configs: Record<string, { content: string }>; services: Record<string, unknown> };
    const am = parse(compose.configs['alertmanager-alertmanager-yml']!.content.replaceAll('$$', '$')) as AmConfig;
    expect(routesTo(am.route, SNS_RECEIVER)).toHaveLength(1);
    expect(am.receivers.find((r) => r.name === SNS_RECEIVER)!.sns_configs![0]!.api_url).toBe('http://localstack:4566');
    expect(compose.services).toHaveProperty('localstack');
  });
});
