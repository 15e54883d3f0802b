import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../sample-services/shared/config.ts';
import { delayFromEnv } from '../../../sample-services/shared/otel-env.ts';
import { tracesUrl } from '../../../sample-services/shared/telemetry.ts';
import { stackEnvForServices, type StackView } from '../../../scripts/runtime/service-env/index.ts';
import { telemetryEnv } from '../../../scripts/runtime/service-env/telemetry.ts';
import { portPlan } from '../../../scripts/stack/catalog.ts';

const view = (running: string[], offset = 0): StackView => ({
  runs: (c) => running.includes(c),
  hostUrl: (c, p) => `http://127.0.0.1:${portPlan(offset).stack(c, p)}`,
});

describe('telemetry environment for host processes', () => {
  it('points traces at Tempo’s OTLP/HTTP receiver and logs at Loki’s OTLP endpoint when both run', () => {
    expect(telemetryEnv(view(['tempo', 'loki']))).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:3100/otlp/v1/logs',
    });
  });

  it('moves both with the port offset', () => {
    expect(telemetryEnv(view(['tempo', 'loki'], 300))).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4618',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:3400/otlp/v1/logs',
    });
  });

  it('sets each variable only where its component runs', () => {
    expect(telemetryEnv(view(['tempo']))).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect(telemetryEnv(view(['loki']))).toEqual({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:3100/otlp/v1/logs' });
    expect(telemetryEnv(view(['prometheus', 'alertmanager', 'grafana', 'localstack']))).toEqual({});
    expect(telemetryEnv(view([]))).toEqual({});
  });

  it('reaches every host process through stackEnvForServices', () => {
    expect(stackEnvForServices(view(['tempo', 'loki']))).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:3100/otlp/v1/logs',
    });
    const none = stackEnvForServices(view(['prometheus', 'alertmanager']));
    expect(Object.keys(none).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
  });

  it('is what the sample services accept, and where their spans go', () => {
    const env = telemetryEnv(view(['tempo', 'loki']));
    const config = readConfig('api-gateway', { PORT: '0', ...env });
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://127.0.0.1:4318');
    expect(config.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).toBe('http://127.0.0.1:3100/otlp/v1/logs');
    expect(tracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT!)).toBe('http://127.0.0.1:4318/v1/traces');
    expect(tracesUrl('http://127.0.0.1:4318/')).toBe('http://127.0.0.1:4318/v1/traces');
    // Unset and empty both mean: no export.
    expect(readConfig('api-gateway', { PORT: '0' }).OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).toBeUndefined();
    expect(readConfig('api-gateway', { PORT: '0', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).toBeUndefined();
  });

  it('batch delays: the standard variables when valid, else the sandbox default', () => {
    expect(delayFromEnv({}, 'OTEL_BSP_SCHEDULE_DELAY', 1000)).toBe(1000);
    expect(delayFromEnv({ OTEL_BSP_SCHEDULE_DELAY: '250' }, 'OTEL_BSP_SCHEDULE_DELAY', 1000)).toBe(250);
    expect(delayFromEnv({ OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY', 1000)).toBe(1000);
    expect(delayFromEnv({ OTEL_BSP_SCHEDULE_DELAY: '-5' }, 'OTEL_BSP_SCHEDULE_DELAY', 1000)).toBe(1000);
  });
});
