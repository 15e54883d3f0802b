import type { ServiceSpec } from './types.ts';

/**
 * The notification sink and the remediation controller run in one process, "platform-receivers"
 * (scripts/alerting/receivers-main.ts): each is still its own HTTP server on its own port.
 */
const RECEIVERS_ENTRY = 'scripts/alerting/receivers-main.ts';

/**
 * The receivers' V8 flags: a 1 MiB young generation (semi-space) instead of the default 16 MiB
 * ceiling; they handle a few requests a second, so scavenges stay rare and short. About 7 MiB
 * resident less (measured idle, 88 -> 81 MiB). Not --lite-mode (19 MiB less): it turns
 * WebAssembly off, and the controller's fetch (undici parses HTTP with WebAssembly) then throws,
 * so no playbook action can reach the control API; that is why the i15-memory branch's merge
 * failed every e2e scenario (types.ts, nodeFlags).
 */
const RECEIVERS_NODE_FLAGS = ['--max-semi-space-size=1'] as const;

/** The services the platform receivers' process serves, in the order it starts them. */
export const PLATFORM_RECEIVERS = ['notification-sink', 'remediation-controller'] as const;

/**
 * In a process shared by several services (ServiceSpec.sharedProcess), the variable that carries
 * one service's port: PORT_NOTIFICATION_SINK for notification-sink. A process of its own gets PORT.
 */
export function portVariable(service: string): string {
  return `PORT_${service.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * TypeScript processes the sandbox supervises itself in both runtimes, so that a fault means
 * the same thing everywhere. Sample services are what scenarios break; platform services are
 * the sandbox's receivers for Alertmanager.
 */
export const services: readonly ServiceSpec[] = [
  {
    name: 'ml-service',
    description: 'Remaining-useful-life predictions from versioned models',
    role: 'sample',
    entry: 'sample-services/ml-service/main.ts',
    port: 8081,
    readiness: { path: '/health', timeoutMs: 20_000 },
    scrapeJob: 'sample-services',
    env: ({ stateDir }) => ({ MODEL_REGISTRY_DIR: `${stateDir}/models` }),
    startOrder: 10,
    // Scale-out: up to 3 instances behind the gateway (ml-service, ml-service-2, ml-service-3).
    // 8082 and 8083 share no remainder modulo 50 with any other sandbox port, so sandboxes whose
    // offsets differ by multiples of 50 (parallel shards, isolated tests) never collide.
    replicaPorts: [8082, 8083],
  },
  {
    name: 'api-gateway',
    description: 'Public HTTP API in front of ml-service',
    role: 'sample',
    entry: 'sample-services/api-gateway/main.ts',
    port: 8080,
    readiness: { path: '/health', timeoutMs: 20_000 },
    scrapeJob: 'sample-services',
    // ML_SERVICE_URLS: every ml-service instance running at this launch, so a gateway restarted
    // while ml-service is scaled out keeps spreading calls over all of them.
    env: ({ urlOf, instanceUrlsOf }) => ({ ML_SERVICE_URL: urlOf('ml-service'), ML_SERVICE_URLS: instanceUrlsOf('ml-service').join(',') }),
    // Readiness is /health, which does not need ml-service: both start at once.
    startOrder: 10,
    routesTo: 'ml-service',
    notScalable:
      'api-gateway is the single entry point of the sandbox: load, probes and scenarios call it on one port, and nothing in front of it would spread calls over replicas',
  },
  {
    name: 'notification-sink',
    description: 'Records every notification Alertmanager delivers',
    role: 'platform',
    entry: RECEIVERS_ENTRY,
    sharedProcess: 'platform-receivers',
    nodeFlags: RECEIVERS_NODE_FLAGS,
    port: 9401,
    readiness: { path: '/health', timeoutMs: 20_000 },
    scrapeJob: 'sandbox',
    env: () => ({}),
    startOrder: 10,
  },
  {
    name: 'remediation-controller',
    description: 'Runs playbooks on alerts: restart, roll back, clear faults',
    role: 'platform',
    entry: RECEIVERS_ENTRY,
    sharedProcess: 'platform-receivers',
    nodeFlags: RECEIVERS_NODE_FLAGS,
    port: 9402,
    readiness: { path: '/health', timeoutMs: 20_000 },
    scrapeJob: 'sandbox',
    env: ({ urlOf }) => ({ SANDBOX_CONTROL_URL: urlOf('sandbox') }),
    startOrder: 10,
  },
];
