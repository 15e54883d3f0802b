import { ControlClient } from '../../core/control-client.ts';
import { policyFromEnv } from '../../core/control-guard.ts';
import { configFromEnv, type ControllerConfig } from './config.ts';
import { RemediationController } from './controller.ts';
import { createLogger, ReceiverStartError, type StartedReceiver } from '../process.ts';
import { createMetrics } from './metrics.ts';
import { formatProblem, loadPlaybookFile } from './playbook-validate.ts';
import { ActionStore } from './records.ts';
import { SafetyGate } from './safety.ts';
import { buildApp } from './server.ts';

/**
 * Remediation controller: receives Alertmanager's webhook and runs the matching playbook's
 * actions (restart, roll back the model, circuit breaker, clear faults, scale out) against the
 * sandbox, with cooldowns, attempt limits, dry-run and an audit log. Listens on its own port
 * (PORT, or `portVar` when it shares a process). Throws ReceiverStartError: 2 invalid playbooks
 * or settings, 1 could not listen.
 */
export async function startController(env: NodeJS.ProcessEnv = process.env, portVar = 'PORT'): Promise<StartedReceiver> {
  let config: ControllerConfig;
  try {
    config = configFromEnv(env, process.cwd(), portVar);
  } catch (e) {
    throw new ReceiverStartError(`remediation-controller: ${(e as Error).message}`, 2);
  }

  const validation = await loadPlaybookFile(config.playbooksPath, config.playbooksDisplay);
  if (!validation.ok) {
    const n = validation.problems.length;
    throw new ReceiverStartError(
      `remediation-controller: invalid playbook file ${config.playbooksDisplay} (${n} problem${n === 1 ? '' : 's'}):\n` +
        validation.problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
      2,
    );
  }

  const logger = createLogger(config.service);
  const metrics = createMetrics();
  const store = new ActionStore(5000, config.auditPath);
  const controller = new RemediationController({
    playbooks: validation.value,
    store,
    gate: new SafetyGate(),
    sandbox: new ControlClient(config.controlUrl, config.token ?? ''),
    token: config.token,
    dryRun: config.dryRun,
    log: logger,
    metrics,
  });
  const app = buildApp({ logger, controller, store, metrics, guard: policyFromEnv(env) });

  try {
    const address = await app.listen({ host: config.host, port: config.port });
    logger.info(
      {
        address,
        playbooks: validation.value.playbooks.map((p) => p.name),
        file: config.playbooksDisplay,
        dryRun: controller.dryRun,
        controlUrl: config.controlUrl,
        audit: config.auditPath ?? null,
        token: config.token ? 'set' : 'missing',
      },
      'remediation controller listening',
    );
  } catch (err) {
    logger.fatal({ err }, 'remediation controller could not start');
    await controller.close();
    await store.close();
    throw new ReceiverStartError(`remediation-controller could not listen on ${config.host}:${config.port}: ${(err as Error).message}`, 1);
  }
  return { logger, closers: [() => app.close(), () => controller.close(), () => store.close()] };
}
