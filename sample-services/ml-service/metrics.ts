import { Counter, Gauge, Histogram, type OpenMetricsContentType, type Registry } from 'prom-client';

/** Model quality as an ML team watches it, per model version. */
export function createModelMetrics(registry: Registry<OpenMetricsContentType>) {
  const registers = [registry];
  return {
    predictions: new Counter({
      name: 'model_predictions_total',
      help: 'Predictions served.',
      labelNames: ['version'] as const,
      registers,
    }),
    error: new Histogram({
      name: 'model_prediction_error',
      help: 'Absolute error of predicted remaining useful life against the true value, in cycles.',
      labelNames: ['version'] as const,
      buckets: [1, 2, 5, 10, 20, 30, 40, 50, 75, 100, 150, 200, 300],
      registers,
    }),
    invalid: new Counter({
      name: 'model_invalid_predictions_total',
      help: 'Predictions that were not a finite number (NaN or infinite).',
      labelNames: ['version'] as const,
      registers,
    }),
    info: new Gauge({
      name: 'model_info',
      help: 'The model version being served (value 1).',
      labelNames: ['version'] as const,
      registers,
    }),
  };
}

export type ModelMetrics = ReturnType<typeof createModelMetrics>;
