import { CloudWatchClient, PutMetricDataCommand, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { awsClientConfig } from './client-config.ts';
import { chunk, MetricBatch, type Observation } from './metric-batch.ts';
import { setCloudWatchRecorder, type MetricRecorder } from './recorder.ts';

/**
 * A few service metrics in CloudWatch (LocalStack in the docker runtime), beside Prometheus:
 *   namespace ObservabilitySandbox (CLOUDWATCH_NAMESPACE), dimension Service on every metric
 *   RequestCount (Count), RequestLatency (Milliseconds), ServerErrorCount (Count: 5xx answers)
 *     for the service's own API routes (not /metrics, /health, /ready, /chaos, /admin)
 *   PredictionError (None, + ModelVersion): ml-service's absolute error where the truth is known
 * Published only when AWS_ENDPOINT_URL is set (the sandbox sets it when LocalStack runs), in one
 * batch every CLOUDWATCH_FLUSH_SECONDS (default 10). Recording is a map update; sending happens
 * on a timer, and a failed send drops that batch with one warning per failure streak.
 * Code records through recorder.ts's cloudWatchMetrics().
 */
/** The two log calls the publisher makes (a pino Logger fits). */
export interface PublisherLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface PublisherOptions {
  client: Pick<CloudWatchClient, 'send'>;
  namespace: string;
  service: string;
  log: PublisherLog;
  flushIntervalMs?: number;
  now?: () => Date;
}

export class CloudWatchPublisher implements MetricRecorder {
  private batch = new MetricBatch();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private failing = false;
  /** Datums sent and batches lost, for tests and the log. */
  readonly stats = { sent: 0, calls: 0, failedCalls: 0 };

  constructor(private readonly options: PublisherOptions) {}

  record(name: string, unit: StandardUnit, value: number, dimensions: Record<string, string> = {}): void {
    const o: Observation = { name, unit, value, dimensions: { Service: this.options.service, ...dimensions } };
    this.batch.add(o);
  }

  start(): this {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 10_000);
    this.timer.unref();
    return this;
  }

  /** Sends what has gathered; one flush at a time, so batches go out in order. */
  flush(): Promise<void> {
    this.inFlight = this.inFlight.then(() => this.send());
    return this.inFlight;
  }

  private async send(): Promise<void> {
    if (this.batch.size === 0) return;
    const datums = this.batch.drain((this.options.now ?? (() => new Date()))());
    for (const part of chunk(datums)) {
      this.stats.calls++;
      try {
        await this.options.client.send(new PutMetricDataCommand({ Namespace: this.options.namespace, MetricData: part }));
        this.stats.sent += part.length;
        if (this.failing) this.options.log.info({ namespace: this.options.namespace }, 'CloudWatch metrics are being published again');
        this.failing = false;
      } catch (e) {
        this.stats.failedCalls++;
        if (!this.failing) this.options.log.warn({ err: (e as Error).message }, 'CloudWatch PutMetricData failed; dropping this batch');
        this.failing = true;
      }
    }
  }

  /** Stops the timer and sends what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** Operational endpoints are not the service's traffic. */
const NOT_TRAFFIC = /^\/(metrics|health|ready|chaos|admin)(\/|$)/;

export interface CloudWatchMetrics {
  publisher: CloudWatchPublisher;
  stop(): Promise<void>;
}

/**
 * When AWS_ENDPOINT_URL is set: a publisher for this process, and request metrics from a
 * Fastify onResponse hook (call before listen). Otherwise nothing, and recording stays a no-op.
 */
export function startCloudWatchMetrics(kit: { app: FastifyInstance; service: string; env: NodeJS.ProcessEnv; log: Logger }): CloudWatchMetrics | undefined {
  if (!kit.env.AWS_ENDPOINT_URL) return undefined;
  const client = new CloudWatchClient({ ...awsClientConfig(kit.env), disableRequestCompression: true });
  const seconds = Number(kit.env.CLOUDWATCH_FLUSH_SECONDS ?? 10);
  const publisher = new CloudWatchPublisher({
    client,
    namespace: kit.env.CLOUDWATCH_NAMESPACE || 'ObservabilitySandbox',
    service: kit.service,
    log: kit.log,
    flushIntervalMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000,
  }).start();
  kit.app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && !NOT_TRAFFIC.test(route)) {
      publisher.record('RequestCount', 'Count', 1);
      publisher.record('RequestLatency', 'Milliseconds', reply.elapsedTime);
      if (reply.statusCode >= 500) publisher.record('ServerErrorCount', 'Count', 1);
    }
    done();
  });
  const uninstall = setCloudWatchRecorder(publisher);
  return {
    publisher,
    async stop() {
      uninstall();
      // The last batch gets a moment, not a say in how long shutdown takes.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([publisher.stop(), new Promise<void>((r) => (timer = setTimeout(r, 2_000).unref()))]);
      clearTimeout(timer);
      client.destroy();
    },
  };
}
