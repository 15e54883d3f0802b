import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { PROJECT_ROOT } from '../../core/paths.ts';
import { alertmanagerWebConfig, ALERTMANAGER_PASSWORD_FILE, ALERTMANAGER_WEB_CONFIG } from '../config/alertmanager-auth.ts';
import { buildContainerPlan } from './container-plan.ts';
import { CONTROL_PORT, services, stackComponents } from '../../stack/catalog.ts';
import { discoveryFiles } from '../../stack/scrape-targets.ts';
import type { StackComponentSpec } from '../../stack/types.ts';

/**
 * compose/docker-compose.yml, generated from the component catalog through the docker runtime's
 * own container plan, so `docker compose up` runs the same images, flags and memory limits as
 * `--runtime docker`. A unit test fails when the committed file drifts.
 */
export const COMPOSE_FILE = join(PROJECT_ROOT, 'compose', 'docker-compose.yml');
/** What containers call the host under compose (extra_hosts: host-gateway). */
export const COMPOSE_HOST = 'host.docker.internal';
/** Entries of compose/<x>/ that are not configuration, or that the sandbox writes per run. */
const NOT_CONFIG = new Set(['tests', 'targets', 'scenario-rules']);

const HEADER = `# GENERATED from the component catalog (scripts/stack/catalog.ts) by scripts/runtime/docker/compose-file.ts.
# Do not edit: regenerate with \`npx tsx scripts/runtime/docker/compose-file.ts --write\`
# (a unit test fails when this file and the catalog disagree).
#
# The stack only: the same images, flags, ports and memory limits as \`--runtime docker\`, with
# host ports published on 127.0.0.1. The easiest full sandbox is still \`npm run sandbox\`, which
# also starts the sandbox's own processes and writes per-run scrape targets.
#
# How containers reach the host: the sample services, notification sink, remediation controller
# and control API always run on the host (never in this file), on their default ports, and the
# containers call them at ${COMPOSE_HOST} (extra_hosts: host-gateway). The scrape targets
# (prometheus/targets/*.json) and Alertmanager's receiver URLs that say so are generated into
# the \`configs\` below from the service catalog: compose/prometheus/targets/ is not used, and
# nothing under compose/ is ever written. Docker Desktop forwards ${COMPOSE_HOST} to the
# host's loopback; Docker Engine on Linux maps it to the bridge gateway, so there the host
# processes must listen on that address (or on all interfaces), not only on 127.0.0.1.
# Inline \`configs.content\` needs Docker Compose 2.23.1 or later.
#
# LocalStack: the pinned image is the last free community tag; SANDBOX_LOCALSTACK_IMAGE picks
# another, and LOCALSTACK_AUTH_TOKEN is handed through from your shell when set.
`;

export function composeDocument(): Record<string, unknown> {
  const configs: Record<string, { content: string }> = {};
  const servicesOut: Record<string, unknown> = {};
  for (const spec of stackComponents) {
    const plan = buildContainerPlan(spec, {
      components: stackComponents,
      hostPort: (c, p) => stackComponents.find((s) => s.name === c)!.ports[p]!,
      configDir: () => `./${relative(join(PROJECT_ROOT, 'compose'), join(PROJECT_ROOT, spec.configSource))}`,
      projectPath: (rel) => relative(join(PROJECT_ROOT, 'compose'), join(PROJECT_ROOT, rel)),
      labels: { 'org.observability-sandbox.compose': 'true' },
      // Never the generating shell's: secrets and image overrides are compose variables below.
      hostEnv: {},
    });
    const overlay = overlays(spec);
    const mounted = readdirSync(join(PROJECT_ROOT, spec.configSource))
      .filter((e) => !NOT_CONFIG.has(e) && !(e in overlay))
      .sort();
    const serviceConfigs = Object.entries(overlay).map(([path, content]) => {
      const name = `${spec.name}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
      configs[name] = { content: escapeInterpolation(content) };
      return { source: name, target: `${plan.config.target}/${path}` };
    });
    const volumes = [
      // Entry by entry, read-only: the overlays below land beside them in the container's own
      // filesystem, and nothing is ever written back into compose/.
      ...mounted.map((e) => `${plan.config.source}/${e}:${plan.config.target}/${e}:ro`),
      ...plan.mounts.map((m) => `${m.source}:${m.target}:ro`),
    ];
    // KEY=value, then bare names: compose hands those through from the shell only when set.
    const environment = [...Object.entries(plan.env).map(([k, v]) => `${k}=${escapeInterpolation(v)}`), ...plan.passEnv];
    servicesOut[spec.name] = {
      image: plan.imageEnv ? `\${${plan.imageEnv}:-${plan.image}}` : plan.image,
      // No command: the image's own (LocalStack's entrypoint, Grafana's /run.sh).
      ...(plan.command.length > 0 ? { command: plan.command } : {}),
      ...(environment.length > 0 ? { environment } : {}),
      ports: plan.ports.map((p) => `127.0.0.1:${p.host}:${p.container}`),
      ...(volumes.length > 0 ? { volumes } : {}),
      ...(serviceConfigs.length > 0 ? { configs: serviceConfigs } : {}),
      ...(plan.dependsOn.length > 0 ? { depends_on: plan.dependsOn } : {}),
      extra_hosts: [`${COMPOSE_HOST}:host-gateway`],
      mem_limit: `${plan.memoryMiB}m`,
      labels: plan.labels,
    };
  }
  return { name: 'observability-sandbox', services: servicesOut, configs };
}

export function composeFileText(): string {
  return `${HEADER}\n${stringify(composeDocument(), { lineWidth: 0 })}`;
}

/**
 * Files a container needs that differ from compose/<x>/ because the host is ${COMPOSE_HOST}
 * here, keyed by path inside the config dir. They follow what the session writes per run
 * (scripts/runtime/session.ts, prepareStackConfig), at the default ports.
 */
function overlays(spec: StackComponentSpec): Record<string, string> {
  const out: Record<string, string> = {};
  if (spec.name === 'prometheus') {
    const json = (groups: unknown) => `${JSON.stringify(groups, null, 2)}\n`;
    const files = discoveryFiles({
      host: COMPOSE_HOST,
      servicePort: (name) => services.find((s) => s.name === name)!.port,
      controlPort: CONTROL_PORT,
      peer: (component) => {
        const c = stackComponents.find((s) => s.name === component)!;
        return `${c.name}:${c.ports[c.primaryPort]}`;
      },
    });
    for (const [job, groups] of Object.entries(files)) out[`targets/${job}.json`] = json(groups);
  }
  // The stack alone has no session, so no token: Alertmanager takes no login here (upstream's
  // default) and Prometheus' password file is empty; `npm run sandbox` guards it.
  if (spec.name === 'alertmanager') out[ALERTMANAGER_WEB_CONFIG] = alertmanagerWebConfig(null);
  if (spec.name === 'prometheus') out[ALERTMANAGER_PASSWORD_FILE] = '';
  // Any top-level config file naming a receiver's loopback URL gets the host's name instead.
  const dir = join(PROJECT_ROOT, spec.configSource);
  for (const e of readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile())) {
    const text = readFileSync(join(dir, e), 'utf8');
    let rewritten = text;
    for (const s of services.filter((x) => x.role === 'platform')) {
      rewritten = rewritten.split(`http://127.0.0.1:${s.port}`).join(`http://${COMPOSE_HOST}:${s.port}`);
    }
    if (rewritten !== text) out[e] = rewritten;
  }
  return out;
}

/** Compose interpolates ${VAR} everywhere, inline config content included. */
function escapeInterpolation(text: string): string {
  return text.replaceAll('$', '$$$$');
}

function main(argv: string[]): void {
  const text = composeFileText();
  if (argv.includes('--write')) {
    writeFileSync(COMPOSE_FILE, text);
    console.log(`wrote ${relative(process.cwd(), COMPOSE_FILE)}`);
  } else if (argv.includes('--check')) {
    if (readFileSync(COMPOSE_FILE, 'utf8') !== text) {
      console.error(`${relative(process.cwd(), COMPOSE_FILE)} is out of date: run \`npx tsx scripts/runtime/docker/compose-file.ts --write\``);
      process.exitCode = 1;
    }
  } else {
    process.stdout.write(text);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
