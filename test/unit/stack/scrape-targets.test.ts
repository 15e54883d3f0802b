import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';
import { discoveryFiles, type TargetAddressing } from '../../../scripts/stack/scrape-targets.ts';

const addressing = (runs?: (c: string) => boolean): TargetAddressing => ({
  host: '127.0.0.1',
  servicePort: (name) => (name === 'api-gateway' ? 8080 : 8081),
  controlPort: 9400,
  peer: (component) => `${component}:1`,
  ...(runs ? { runs } : {}),
});
const LGTM = ['grafana', 'loki', 'tempo'];
const prometheusYml = parse(readFileSync(join(PROJECT_ROOT, 'compose/prometheus/prometheus.yml'), 'utf8')) as {
  scrape_configs: { job_name: string; file_sd_configs?: { files: string[] }[] }[];
};
const job = (name: string) => prometheusYml.scrape_configs.find((j) => j.job_name === name);

describe('discoveryFiles', () => {
  it('lists Grafana, Loki and Tempo where everything runs (docker, the compose file)', () => {
    const files = discoveryFiles(addressing());
    for (const c of LGTM) expect(files[c], c).toEqual([{ targets: [`${c}:1`] }]);
    expect(files.blackbox!.length).toBeGreaterThan(0);
  });

  it('gives a component that does not run an empty target group, and keeps the rest', () => {
    const native = new Set(['prometheus', 'alertmanager', 'blackbox-exporter']);
    const files = discoveryFiles(addressing((c) => native.has(c)));
    for (const c of [...LGTM, 'localstack']) expect(files[c], c).toEqual([]);
    expect(files.prometheus).toEqual([{ targets: ['prometheus:1'] }]);
    expect(files.alertmanager).toEqual([{ targets: ['alertmanager:1'] }]);
    expect(files.alertmanagers).toEqual([{ targets: ['alertmanager:1'] }]);
    expect(files['sample-services']!.map((g) => g.labels?.service).sort()).toEqual(['api-gateway', 'ml-service']);
    expect(files.blackbox!.length).toBeGreaterThan(0);
    const noExporter = discoveryFiles(addressing((c) => c !== 'blackbox-exporter'));
    expect(noExporter.blackbox).toEqual([]);
  });

  it('lists a scaled-out service’s replicas as targets of their own, service label kept, told apart by replica', () => {
    const files = discoveryFiles({ ...addressing(), replicas: (s) => (s === 'ml-service' ? [{ instance: 'ml-service-2', port: 8082 }] : []) });
    expect(files['sample-services']).toEqual([
      { targets: ['127.0.0.1:8081'], labels: { service: 'ml-service' } },
      { targets: ['127.0.0.1:8082'], labels: { service: 'ml-service', replica: 'ml-service-2' } },
      { targets: ['127.0.0.1:8080'], labels: { service: 'api-gateway' } },
    ]);
    // Without replicas (the compose file, a sandbox at one instance) the file is what it always was.
    expect(discoveryFiles(addressing())['sample-services']).toEqual([
      { targets: ['127.0.0.1:8081'], labels: { service: 'ml-service' } },
      { targets: ['127.0.0.1:8080'], labels: { service: 'api-gateway' } },
    ]);
  });

  it('prometheus.yml scrapes Grafana, Loki and Tempo from their discovery files, and LocalStack not at all', () => {
    for (const c of LGTM) expect(job(c)?.file_sd_configs?.[0]?.files, c).toEqual([`targets/${c}.json`]);
    expect(job('localstack')).toBeUndefined();
    // every file a job reads is one discoveryFiles() writes
    const written = new Set(Object.keys(discoveryFiles(addressing())).map((j) => `targets/${j}.json`));
    for (const j of prometheusYml.scrape_configs) for (const sd of j.file_sd_configs ?? []) for (const f of sd.files) expect(written, f).toContain(f);
  });

  it('availability rules select the sample services only, so a Grafana/Loki/Tempo target never pages as ServiceDown', () => {
    const rules = readFileSync(join(PROJECT_ROOT, 'compose/prometheus/rules/availability.yml'), 'utf8');
    const upExprs = rules.split('\n').filter((l) => /\bup\{/.test(l) || /\bup\s*==/.test(l));
    expect(upExprs.length).toBeGreaterThan(0);
    for (const l of upExprs) expect(l).toContain('job="sample-services"');
  });
});
