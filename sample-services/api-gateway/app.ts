import { AuditLog } from '../shared/chaos/audit.ts';
import { commonFaults } from '../shared/chaos/common-faults.ts';
import { FaultManager } from '../shared/chaos/fault-manager.ts';
import { createHttpServer } from '../shared/http-server.ts';
import type { BuiltService, ServiceKit } from '../shared/service.ts';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './circuit-breaker.ts';
import { FleetStatus } from './fleet-status.ts';
import { createGatewayMetrics } from './metrics.ts';
import { ML_DEPENDENCY, MlClient, upstreamListProblem } from './ml-client.ts';
import { registerBreakerAdminRoutes, registerPublicRoutes, registerUpstreamAdminRoutes } from './routes.ts';

const CALL_TIMEOUT_MS = 2000;
const PROBE_INTERVAL_MS = 2000;
const PROBE_TIMEOUT_MS = 500;

/** api-gateway: the public API in front of ml-service. */
export async function build({ config, env, log, metrics }: ServiceKit): Promise<BuiltService> {
  const mlUrl = env.ML_SERVICE_URL ?? 'http://127.0.0.1:8081';
  // Every ml-service instance when the sandbox has scaled it out (the primary first); else the one URL.
  const mlUrls = (env.ML_SERVICE_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (mlUrls.length > 0) {
    const problem = upstreamListProblem(mlUrls);
    if (problem) throw new Error(`ML_SERVICE_URLS: ${problem}`);
  }
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
  const ml = new MlClient(mlUrls.length > 0 ? mlUrls : [mlUrl], CALL_TIMEOUT_MS, () => faults.dependencyDown(ML_DEPENDENCY));

  // Reachability of ml-service, probed in the background so the gauge is fresh between scrapes.
  const upGauge = gatewayMetrics.dependencyUp.labels(ML_DEPENDENCY);
  const probe = async (): Promise<{ ok: boolean; reason?: string }> => {
    // The primary only: faults target it, and readiness means what it meant before scale-out.
    const primary = ml.primary;
    const result = await ml
      .call('GET', '/health', { timeoutMs: PROBE_TIMEOUT_MS, upstream: primary })
      .then((r) => (r.status === 200 ? { ok: true } : { ok: false, reason: `ml-service /health answered HTTP ${r.status}` }))
      .catch((e: Error) => ({ ok: false, reason: `ml-service unreachable at ${primary}: ${e.message}` }));
    upGauge.set(result.ok ? 1 : 0);
    return result;
  };
  void probe();
  const probeTimer = setInterval(() => void probe(), PROBE_INTERVAL_MS);
  probeTimer.unref();

  const app = createHttpServer({ config, log, metrics, faults, ready: probe });
  registerPublicRoutes(app, ml, breaker, new FleetStatus());
  registerBreakerAdminRoutes(app, breaker, config.CHAOS_TOKEN);
  registerUpstreamAdminRoutes(app, ml, config.CHAOS_TOKEN);
  return {
    app,
    faults,
    close() {
      clearInterval(probeTimer);
      ml.close();
    },
  };
}
