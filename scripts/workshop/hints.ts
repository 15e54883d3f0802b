import type { FaultType } from '../faults/catalog.ts';
import type { IncidentPlan } from './plan.ts';

/**
 * Graded hints, per fault type: 1 says where to look (alert, runbook, dashboard), 2 which PromQL
 * query or log line shows it, 3 is nearly the answer. Each level costs more score than the last.
 * `{service}` and `{alert}` are filled in from the incident (its first fault, primary alert).
 */
export type HintLevel = 1 | 2 | 3;
export const HINT_LEVELS: readonly HintLevel[] = [1, 2, 3];

/** Points a hint of each level costs (see scoring.ts). */
export const HINT_COST: Record<HintLevel, number> = { 1: 5, 2: 10, 3: 15 };

export const HINTS: Record<FaultType, Record<HintLevel, string>> = {
  latency: {
    1: 'Users are waiting, not failing. Open the {alert} alert in Prometheus (Alerts page) and its runbook, and compare the request-duration panels of api-gateway and ml-service in Grafana.',
    2: 'Query the p99 per service: `service:http_server_request_duration_seconds:p99_10s`, or `histogram_quantile(0.99, sum by (le, service) (rate(http_server_request_duration_seconds_bucket[10s])))`. Which service is slow on its own, and which only waits for it?',
    3: '{service} itself answers every request hundreds of milliseconds late, while its error rate stays at zero: the cause is latency inside {service}; restarting it clears it.',
  },
  errors: {
    1: 'Requests fail. Open the {alert} alert and its runbook; the error-rate and SLO burn panels in Grafana show where the 5xx come from.',
    2: 'Query the 5xx share per service: `service:http_server_requests_5xx:ratio_rate10s`; in the logs, `npx sandbox logs api-gateway` shows "ml-service answered with an error".',
    3: '{service} answers a large share of requests with HTTP 5xx while it stays up and fast: the cause is errors in {service}; a restart of it clears them.',
  },
  crash: {
    1: 'Something stopped answering. Look at the {alert} alert in Prometheus and at `npx sandbox status`: is every component ready?',
    2: 'Query `up{job="sample-services"}`: which service reads 0? `npx sandbox logs {service}` shows its last lines before it went away.',
    3: '{service} is not running at all: it exited and nothing brought it back. The cause is a crash; bring it back with `sandbox workshop fix restart --service {service}`.',
  },
  'crash-loop': {
    1: 'A service keeps coming and going. Look at the {alert} alert and at the restart counts in `npx sandbox status`.',
    2: 'Query `increase(process_restarts_total{job="sandbox"}[30s])`: which service restarts over and over? Its log ends every time with "process crashed (crash loop)".',
    3: '{service} exits shortly after every start and the supervisor keeps restarting it: a crash-loop. Restarting alone will not stop it; clear the cause with `fix clear-faults --service {service}`.',
  },
  'bad-model': {
    1: 'Nothing is down and nothing is slow: look at the model-quality alerts ({alert}) and at the ModelVersionChanged alert; the model panels in Grafana show predictions per version.',
    2: 'Query `model_info` for the version being served and `service_version:model_prediction_error:mean_rate15s` (or `rate(model_invalid_predictions_total[1m])`): did quality change with the version?',
    3: 'A new model version on {service} predicts badly: the cause is a bad model. Roll it back with `fix rollback-model`.',
  },
  'memory-leak': {
    1: 'Look at the {alert} alert and at the memory panel of each service in Grafana (resident memory over time).',
    2: 'Query `deriv(process_resident_memory_bytes{job="sample-services"}[25s])`: which service grows by megabytes every second?',
    3: '{service} gains memory steadily and never gives it back: a memory leak. A restart of {service} returns the memory.',
  },
  'cpu-burn': {
    1: 'Look at the {alert} alert and at the CPU and event-loop panels of each service in Grafana.',
    2: 'Query `rate(process_cpu_seconds_total{job="sample-services"}[10s])`: which service uses most of a core while traffic is unchanged?',
    3: '{service} burns nearly a whole core on work no request asked for: cpu-burn. It may pass by itself; a restart of {service} ends it sooner.',
  },
  'dependency-outage': {
    1: 'Users get errors, but every process is up. Look at the {alert} alert, the CircuitBreakerOpen alert and the api-gateway readiness in Grafana.',
    2: 'Query `circuit_breaker_state` and `dependency_up`; `npx sandbox logs {service}` shows "ml-service call failed" and "circuit breaker state changed".',
    3: '{service} cannot reach its dependency (ml-service) although ml-service itself is healthy: a dependency-outage seen from {service}. Clear it with `fix clear-faults --service {service}`; the breaker closes by itself after.',
  },
};

export interface Hint {
  level: HintLevel;
  cost: number;
  text: string;
}

/** The next hint for the incident after `used` hints, or null once all three were given. */
export function nextHint(plan: Pick<IncidentPlan, 'faults' | 'primaryAlert'>, used: number): Hint | null {
  const level = HINT_LEVELS[used];
  const fault = plan.faults[0];
  if (level === undefined || !fault) return null;
  const text = HINTS[fault.type][level]
    .replaceAll('{service}', fault.service)
    .replaceAll('{alert}', plan.primaryAlert ?? 'firing');
  return { level, cost: HINT_COST[level], text };
}
