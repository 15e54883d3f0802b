import { PLATFORM_RECEIVERS, portVariable } from '../stack/services.ts';
import { startSink } from './notification-sink/start.ts';
import { runReceivers } from './process.ts';
import { startController } from './remediation/start.ts';

/**
 * The platform receivers' process: the notification sink and the remediation controller in one
 * Node process, each its own HTTP server on its own port (PORT_NOTIFICATION_SINK,
 * PORT_REMEDIATION_CONTROLLER), with its own routes, metrics registry, log lines (`service`) and
 * records, exactly as when each ran alone. One process instead of two saves a Node runtime and a
 * second copy of fastify, pino and prom-client: about 80 MiB resident. If either cannot start the
 * process exits (2 bad settings or playbooks, 1 could not listen) and the other is closed first.
 */
const named = (service: string): NodeJS.ProcessEnv => ({ ...process.env, SERVICE_NAME: service, OTEL_SERVICE_NAME: service });
await runReceivers(
  PLATFORM_RECEIVERS.map((service) =>
    service === 'notification-sink'
      ? () => startSink(named(service), portVariable(service))
      : () => startController(named(service), portVariable(service)),
  ),
);
