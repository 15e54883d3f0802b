import { AuditLog } from '../shared/chaos/audit.ts';
import { commonFaults } from '../shared/chaos/common-faults.ts';
import { FaultManager } from '../shared/chaos/fault-manager.ts';
import { createHttpServer } from '../shared/http-server.ts';
import type { BuiltService, ServiceKit } from '../shared/service.ts';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './circuit-breaker.ts';
import { FleetStatus } from './fleet-status.ts';
import { createGatewayMetrics } from './metrics.ts';
import { ML_DEPENDENCY, MlClient } from './ml-client.ts';
import { registerBreakerAdminRoutes, registerPublicRoutes } from './routes.ts';

const CALL_TIMEOUT_MS = 2000;
const PROBE_INTERVAL_MS = 2000;
const PROBE_TIMEOUT_MS = 500;

/** api-gateway: the public API in front of ml-service. */
export async function build({ config, env, log, metrics }: ServiceKit): Promise<BuiltService> {
  const mlUrl = env.ML_SERVICE_URL ?? 'http://127.0.0.1:8081';
  const faults = new FaultManager(
    config.SERVICE_NAME,
    commonFaults({ stateDir: config.SANDBOX_STATE_DIR, service: config.SERVICE_NAME, dependencies: [ML_DEPENDENCY] }),
    new AuditLog(config.SANDBOX_STATE_DIR, config.SERVICE_NAME),
    log,
  );
  const gatewayMetrics = createGatewayMetrics(metrics.registry);
  const breakerGauge = gatewayMetrics.breakerState.labels(ML_DEPENDENCY);
  const breaker = new CircuitBreaker({
    failureThreshold: 5,
    coolDownMs: 5000,
    onChange: (state) => {
      breakerGauge.set(BREAKER_STATE_VALUE[state]);
      log.warn({ dependency: ML_DEPENDENCY, breaker_state: state }, 'circuit breaker state changed');
    },
  });
  breakerGauge.set(0);
  const ml = new MlClient(mlUrl, CALL_TIMEOUT_MS, () => faults.dependencyDown(ML_DEPENDENCY));

  // Reachability of ml-service, probed in the background so the gauge is fresh between scrapes.
  const upGauge = gatewayMetrics.dependencyUp.labels(ML_DEPENDENCY);
  const probe = async (): Promise<{ ok: boolean; reason?: string }> => {
    const result = await ml
      .call('GET', '/health', { timeoutMs: PROBE_TIMEOUT_MS })
      .then((r) => (r.status === 200 ? { ok: true } : { ok: false, reason: `ml-service /health answered HTTP ${r.status}` }))
      .catch((e: Error) => ({ ok: false, reason: `ml-service unreachable at ${mlUrl}: ${e.message}` }));
    upGauge.set(result.ok ? 1 : 0);
    return result;
  };
  void probe();
  const probeTimer = setInterval(() => void probe(), PROBE_INTERVAL_MS);
  probeTimer.unref();

  const app = createHttpServer({ config, log, metrics, faults, ready: probe });
  registerPublicRoutes(app, ml, breaker, new FleetStatus());
  registerBreakerAdminRoutes(app, breaker, config.CHAOS_TOKEN);
  return {
    app,
    faults,
    close() {
      clearInterval(probeTimer);
      ml.close();
    },
  };
}
