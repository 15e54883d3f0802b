/**
 * Synthetic monitoring of the critical path: what the blackbox exporter probes, once per scrape.
 * Modules are defined in compose/blackbox-exporter/blackbox.yml.
 */
export interface Probe {
  service: string;
  method: 'GET' | 'POST';
  path: string;
  module: string;
}

export const probes: readonly Probe[] = [
  // The fleet list: the gateway alone.
  { service: 'api-gateway', method: 'GET', path: '/engines', module: 'http_2xx' },
  // A prediction: gateway → ml-service → model, the path users depend on.
  { service: 'api-gateway', method: 'POST', path: '/predict', module: 'http_predict' },
];
