import { Gauge, type OpenMetricsContentType, type Registry } from 'prom-client';

/** What the gateway knows about its dependency, as an on-call engineer would chart it. */
export function createGatewayMetrics(registry: Registry<OpenMetricsContentType>) {
  const registers = [registry];
  return {
    breakerState: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state for calls to a dependency: 0 closed, 1 open, 2 half-open.',
      labelNames: ['dependency'] as const,
      registers,
    }),
    dependencyUp: new Gauge({
      name: 'dependency_up',
      help: 'Whether the last health probe of a dependency succeeded (1) or failed (0).',
      labelNames: ['dependency'] as const,
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
