import { policyFromEnv } from '../../core/control-guard.ts';
import { configFromEnv } from './config.ts';
import { createLogger, ReceiverStartError, type StartedReceiver } from '../process.ts';
import { createSinkMetrics } from './metrics.ts';
import { buildSinkApp } from './server.ts';
import { DeliveryStore } from './store.ts';

/**
 * Notification sink: records every notification Alertmanager delivers (webhook, Slack- and
 * PagerDuty-shaped) so scenarios can check who was told what, and when. Listens on its own port
 * (PORT, or `portVar` when it shares a process); throws ReceiverStartError (2 bad settings, 1
 * could not listen).
 */
export async function startSink(env: NodeJS.ProcessEnv = process.env, portVar = 'PORT'): Promise<StartedReceiver> {
  let config: ReturnType<typeof configFromEnv>;
  try {
    config = configFromEnv(env, portVar);
  } catch (e) {
    throw new ReceiverStartError(`notification-sink: ${(e as Error).message}`, 2);
  }
  const logger = createLogger(config.service);
  const store = new DeliveryStore(config.capacity, config.journalPath);
  const app = buildSinkApp({ logger, store, metrics: createSinkMetrics(), guard: policyFromEnv(env) });
  try {
    const address = await app.listen({ host: config.host, port: config.port });
    logger.info({ address, journal: config.journalPath ?? null, capacity: config.capacity }, 'notification sink listening');
  } catch (err) {
    logger.fatal({ err }, 'notification sink could not start');
    await store.close();
    throw new ReceiverStartError(`notification-sink could not listen on ${config.host}:${config.port}: ${(err as Error).message}`, 1);
  }
  return { logger, closers: [() => app.close(), () => store.close()] };
}
