import { AuditLog } from '../shared/chaos/audit.ts';
import { commonFaults } from '../shared/chaos/common-faults.ts';
import { FaultManager } from '../shared/chaos/fault-manager.ts';
import { badModelFault } from '../shared/chaos/faults/bad-model.ts';
import type { FaultDefinition } from '../shared/chaos/types.ts';
import { createHttpServer } from '../shared/http-server.ts';
import type { BuiltService, ServiceKit } from '../shared/service.ts';
import { createModelMetrics } from './metrics.ts';
import { ModelManager } from './model-manager.ts';
import { loadWhenReachable, type BackgroundLoad } from './registry/load-when-reachable.ts';
import { REGISTRY_DEPENDENCY, withOutage } from './registry/outage-guard.ts';
import { seedRegistry } from './registry/seed.ts';
import { selectRegistry } from './registry/select.ts';
import { registerModelAdminRoutes, registerPredictRoute } from './routes.ts';

/** ml-service: remaining-useful-life predictions from the model version the registry says to serve. */
export async function build({ config, env, log, metrics }: ServiceKit): Promise<BuiltService> {
  // A local directory by default; an S3 bucket when MODEL_REGISTRY_S3_BUCKET is set (select.ts).
  const selected = await selectRegistry(env, config.SANDBOX_STATE_DIR);
  let faults: FaultManager | undefined;
  const registry = withOutage(selected.backend, () => faults?.dependencyDown(REGISTRY_DEPENDENCY) ?? false);
  const modelMetrics = createModelMetrics(metrics.registry);
  const models = new ModelManager(registry, modelMetrics, log);
  const load = async () => {
    await seedRegistry(selected.backend);
    await models.init();
  };
  // A local directory is there now; a remote store may answer only once the stack is up.
  let loading: BackgroundLoad | undefined;
  if (selected.remote) loading = loadWhenReachable(load, log, selected.backend.description);
  else await load();

  const definitions: FaultDefinition[] = [
    // Crash-loop state per instance: a loop injected into the primary is not resumed by a scale-out replica.
    ...commonFaults({ stateDir: config.SANDBOX_STATE_DIR, service: config.SERVICE_INSTANCE, dependencies: [REGISTRY_DEPENDENCY] }),
    badModelFault(models) as FaultDefinition,
  ];
  faults = new FaultManager(config.SERVICE_NAME, definitions, new AuditLog(config.SANDBOX_STATE_DIR, config.SERVICE_NAME), log);

  const app = createHttpServer({
    config,
    log,
    metrics,
    faults,
    ready: async () => (models.current ? { ok: true } : { ok: false, reason: 'no model loaded' }),
  });
  registerPredictRoute(app, models, modelMetrics, config.signals);
  registerModelAdminRoutes(app, models, config.CHAOS_TOKEN);
  return {
    app,
    faults,
    close: () => {
      loading?.stop();
      selected.close();
    },
  };
}
