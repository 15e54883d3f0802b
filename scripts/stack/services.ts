import type { ServiceSpec } from './types.ts';

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
  },
  {
    name: 'api-gateway',
    description: 'Public HTTP API in front of ml-service',
    role: 'sample',
    entry: 'sample-services/api-gateway/main.ts',
    port: 8080,
    readiness: { path: '/health', timeoutMs: 20_000 },
    scrapeJob: 'sample-services',
    env: ({ urlOf }) => ({ ML_SERVICE_URL: urlOf('ml-service') }),
    // Readiness is /health, which does not need ml-service: both start at once.
    startOrder: 10,
  },
  {
    name: 'notification-sink',
    description: 'Records every notification Alertmanager delivers',
    role: 'platform',
    entry: 'scripts/alerting/notification-sink/main.ts',
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
    entry: 'scripts/alerting/remediation/main.ts',
    port: 9402,
    readiness: { path: '/health', timeoutMs: 20_000 },
    scrapeJob: 'sandbox',
    env: ({ urlOf }) => ({ SANDBOX_CONTROL_URL: urlOf('sandbox') }),
    startOrder: 10,
  },
];
