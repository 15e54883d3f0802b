import { policyFromEnv } from '../../core/control-guard.ts';
import { configFromEnv } from './config.ts';
import { createLogger, stopOnSignals } from '../process.ts';
import { createSinkMetrics } from './metrics.ts';
import { buildSinkApp } from './server.ts';
import { DeliveryStore } from './store.ts';

/**
 * Notification sink: records every notification Alertmanager delivers (webhook, Slack- and
 * PagerDuty-shaped) so scenarios can check who was told what, and when.
 */
const config = configFromEnv();
const logger = createLogger(config.service);
const store = new DeliveryStore(config.capacity, config.journalPath);
const app = buildSinkApp({ logger, store, metrics: createSinkMetrics(), guard: policyFromEnv() });

stopOnSignals(logger, [() => app.close(), () => store.close()]);

try {
  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ address, journal: config.journalPath ?? null, capacity: config.capacity }, 'notification sink listening');
} catch (err) {
  logger.fatal({ err }, 'notification sink could not start');
  await store.close();
  process.exit(1);
}
