import { describe, expect, it } from 'vitest';
import { toPrometheusText } from '../../../sample-services/shared/metrics.ts';

describe('toPrometheusText', () => {
  it('turns OpenMetrics into the text format: counter names back, no exemplars, no EOF', () => {
    const om = [
      '# HELP model_predictions Predictions served.',
      '# TYPE model_predictions counter',
      'model_predictions_total{version="v2"} 3',
      '# HELP http_server_request_duration_seconds Duration.',
      '# TYPE http_server_request_duration_seconds histogram',
      'http_server_request_duration_seconds_bucket{le="0.005",http_route="/predict"} 1 # {trace_id="abc"} 0.001 1700000000.1',
      'http_server_request_duration_seconds_count{http_route="/predict"} 1',
      '# EOF',
      '',
    ].join('\n');
    expect(toPrometheusText(om)).toBe(
      [
        '# HELP model_predictions_total Predictions served.',
        '# TYPE model_predictions_total counter',
        'model_predictions_total{version="v2"} 3',
        '# HELP http_server_request_duration_seconds Duration.',
        '# TYPE http_server_request_duration_seconds histogram',
        'http_server_request_duration_seconds_bucket{le="0.005",http_route="/predict"} 1',
        'http_server_request_duration_seconds_count{http_route="/predict"} 1',
        '',
      ].join('\n'),
    );
  });
});
