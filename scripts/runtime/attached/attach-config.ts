import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../paths.ts';
import type { PortPlan } from '../../stack/catalog.ts';
import { sampleServiceNames } from '../../stack/catalog.ts';
import { SNS_RECEIVER } from '../config/alertmanager-receivers.ts';
import { ATTACH_JOBS, attachTargetsFile, type AttachJob } from './targets.ts';

/**
 * What a team adds to its own Prometheus and Alertmanager to judge them with the sandbox
 * (`sandbox attach config`), for one state dir and port offset: the scrape jobs that read the
 * sandbox's attach targets files, and receivers plus one route that deliver the sandbox's alerts
 * to its notification sink and remediation controller, the only places the sandbox observes
 * notifications and takes remediation requests.
 *
 * The route tree is the sandbox's own (compose/alertmanager/alertmanager.yml), under one parent
 * route that selects the sandbox's services, with the receivers renamed `sandbox-<name>` so they
 * cannot collide with a team's own `pagerduty` or `slack`; each posts to the sink's
 * /webhook/<name>, so the sink records it under the name a scenario expects. The SNS receiver is
 * left out: it needs the sandbox's LocalStack.
 */

/** Prefix of the receivers this prints; scenarios still name them without it (the sink's name). */
export const ATTACH_RECEIVER_PREFIX = 'sandbox-';

/** Why each job exists, for the comments. */
const JOB_NOTES: Record<AttachJob, string> = {
  'sample-services': 'the sample services; the built-in rules select job="sample-services"',
  sandbox: 'supervisor (process_restarts_total), notification sink, remediation controller; job="sandbox"',
};

export interface AttachConfigInput {
  stateDir: string;
  ports: PortPlan;
  /**
   * A file holding the token the sink and the controller require, where they require one:
   * every webhook then sends it (`http_config.authorization.credentials_file`).
   */
  credentialsFile?: string;
}

interface RouteYaml {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: RouteYaml[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
}

/** The sandbox's routes below the root, without SNS, receivers renamed. */
function sandboxRoutes(routes: readonly RouteYaml[]): RouteYaml[] {
  return routes
    .filter((r) => r.receiver !== SNS_RECEIVER)
    .map((r) => ({
      ...r,
      ...(r.receiver ? { receiver: `${ATTACH_RECEIVER_PREFIX}${r.receiver}` } : {}),
      ...(r.routes ? { routes: sandboxRoutes(r.routes) } : {}),
    }));
}

function receiverNames(route: RouteYaml): string[] {
  return [...(route.receiver ? [route.receiver] : []), ...(route.routes ?? []).flatMap(receiverNames)];
}

/** The two fragments, as data: `prometheus` (global, rule_files, scrape_configs) and `alertmanager` (route, receivers). */
export function attachConfig(input: AttachConfigInput): { prometheus: Record<string, unknown>; alertmanager: Record<string, unknown> } {
  const am = parse(readFileSync(join(PROJECT_ROOT, 'compose/alertmanager/alertmanager.yml'), 'utf8')) as { route: RouteYaml };
  const sink = `http://127.0.0.1:${input.ports.service('notification-sink')}`;
  const controller = `http://127.0.0.1:${input.ports.service('remediation-controller')}`;
  const routes = sandboxRoutes(am.route.routes ?? []);
  const parent: RouteYaml = {
    matchers: [`service=~"${sampleServiceNames().join('|')}"`],
    receiver: `${ATTACH_RECEIVER_PREFIX}${am.route.receiver}`,
    // The sandbox's own timers: they bound time to notify, and the built-in targets assume them.
    group_by: ['alertname', 'service'],
    ...(am.route.group_wait ? { group_wait: am.route.group_wait } : {}),
    ...(am.route.group_interval ? { group_interval: am.route.group_interval } : {}),
    ...(am.route.repeat_interval ? { repeat_interval: am.route.repeat_interval } : {}),
    routes,
  };
  const auth = input.credentialsFile ? { http_config: { authorization: { type: 'Bearer', credentials_file: input.credentialsFile } } } : {};
  const receivers = [...new Set(receiverNames(parent))].map((name) => {
    const plain = name.slice(ATTACH_RECEIVER_PREFIX.length);
    const url = plain === 'remediation' ? `${controller}/alerts` : `${sink}/webhook/${plain}`;
    return { name, webhook_configs: [{ url, send_resolved: true, ...auth }] };
  });
  return {
    prometheus: {
      global: { evaluation_interval: '1s' },
      rule_files: [join(PROJECT_ROOT, 'compose/prometheus/rules/*.yml')],
      scrape_configs: ATTACH_JOBS.map((job) => ({
        job_name: job,
        scrape_interval: '1s',
        scrape_timeout: '800ms',
        file_sd_configs: [{ files: [attachTargetsFile(input.stateDir, job)], refresh_interval: '1s' }],
      })),
    },
    alertmanager: { route: { routes: [parent] }, receivers },
  };
}

/** The printed form: two YAML documents with the comments a newcomer needs. */
export function renderAttachConfig(input: AttachConfigInput): string {
  const { prometheus, alertmanager } = attachConfig(input);
  const sink = `127.0.0.1:${input.ports.service('notification-sink')}`;
  const controller = `127.0.0.1:${input.ports.service('remediation-controller')}`;
  const y = (v: unknown) => stringify(v, { lineWidth: 0 }).trimEnd();
  return [
    `# Attach configuration for the sandbox with state dir ${input.stateDir} and port offset ${input.ports.offset}.`,
    '# Merge each document into your own file, reload, then run, with the same --state-dir and --port-offset:',
    '#   npx sandbox test --attach --prometheus-url http://<yours> --alertmanager-url http://<yours> [scenarios...]',
    '# Both must run on this machine: the sandbox listens on 127.0.0.1 only.',
    '---',
    '# prometheus.yml',
    `# scrape_configs: ${ATTACH_JOBS.map((j) => `${j} (${JOB_NOTES[j]})`).join('; ')}.`,
    '# The sandbox writes these files when it starts and removes them when it stops; the directory',
    '# stays, so Prometheus keeps watching it (refresh_interval 1s covers a Prometheus started first).',
    '# rule_files: the alerts the built-in scenarios expect (or load your own and write scenarios for them).',
    '# evaluation_interval 1s: the built-in targets assume it; with a slower one `sandbox test` rejects',
    '# them as impossible before anything starts.',
    y(prometheus),
    '---',
    '# alertmanager.yml',
    '# The route goes first under your route.routes: alerts about the sandbox\'s services go to the',
    `# sandbox only (no continue), to its notification sink (${sink}, which records each delivery`,
    `# under the name in its path: /webhook/pagerduty is what \`notification: {receiver: pagerduty}\``,
    `# expects) and to its remediation controller (${controller}/alerts). Notifications are observed`,
    '# only through the sink: a receiver that pages for real cannot satisfy an expectation.',
    ...(input.credentialsFile
      ? [
          `# Both take the sandbox's session token: each receiver reads it from ${input.credentialsFile}`,
          '# (http_config.authorization.credentials_file; Alertmanager reads the file on every request, and',
          '# the sandbox writes a new token there each time it starts attached). Alertmanager must run as a',
          '# user that can read it (the file is 0600, owned by whoever runs the sandbox).',
        ]
      : []),
    y(alertmanager),
    '',
  ].join('\n');
}
