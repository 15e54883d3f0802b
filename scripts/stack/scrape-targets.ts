import { stackComponents, services, CONTROL_PORT } from './catalog.ts';
import { probes } from './probes.ts';
import type { ServiceSpec } from './types.ts';

/** One group of a file-based service discovery file (Prometheus' file_sd format). */
export interface FileSdGroup {
  targets: string[];
  labels?: Record<string, string>;
}

/** How Prometheus and the blackbox exporter reach everything, for one runtime and port plan. */
export interface TargetAddressing {
  /** Host name of the sandbox's own processes as the stack sees them. */
  host: string;
  servicePort(name: string): number;
  controlPort: number;
  /** host:port of a stack component as Prometheus reaches it. */
  peer(component: string): string;
  /**
   * Whether a stack component runs in this sandbox (native: its binary is on PATH; docker:
   * always). A component that does not run gets an empty target group, so Prometheus lists no
   * dead target for it. Omitted: everything runs (the docker-compose file).
   */
  runs?(component: string): boolean;
  /**
   * Extra instances of a scaled-out service that run now (not the primary): each becomes a
   * target of its own. Omitted: every service runs one instance (the docker-compose file).
   */
  replicas?(service: string): readonly { instance: string; port: number }[];
}

/**
 * Every discovery file prometheus.yml reads (targets/<job>.json), derived from the catalog, so
 * the session and the generated docker-compose.yml cannot disagree on what is scraped.
 */
export function discoveryFiles(a: TargetAddressing): Record<string, FileSdGroup[]> {
  // Sample services' series carry service="<name>" (the contract). The sandbox's own processes
  // get component="<name>" instead: process_restarts_total has a service label of its own.
  // A scaled-out service's replicas keep service="<name>", so rules that aggregate by service
  // count every instance as that service; `replica="<name>-<n>"` tells them apart (the primary
  // has no replica label, so its series are the same as without scale-out) and is what an
  // alert on one replica carries to remediation.
  const hosted = (job: ServiceSpec['scrapeJob'], label: string): FileSdGroup[] =>
    services
      .filter((s) => s.scrapeJob === job)
      .flatMap((s) => [
        { targets: [`${a.host}:${a.servicePort(s.name)}`], labels: { [label]: s.name } },
        ...(a.replicas?.(s.name) ?? []).map((r) => ({ targets: [`${a.host}:${r.port}`], labels: { [label]: s.name, replica: r.instance } })),
      ]);
  const present = new Set(stackComponents.map((c) => c.name));
  const out: Record<string, FileSdGroup[]> = {};
  const runs = (component: string) => (a.runs ? a.runs(component) : true);
  for (const c of stackComponents) out[c.name] = runs(c.name) ? [{ targets: [a.peer(c.name)] }] : [];
  out.alertmanagers = [{ targets: [a.peer('alertmanager')] }];
  out['sample-services'] = hosted('sample-services', 'service');
  out.sandbox = [{ targets: [`${a.host}:${a.controlPort}`], labels: { component: 'supervisor' } }, ...hosted('sandbox', 'component')];
  // Synthetic probes: the target is the URL to probe; relabelling in prometheus.yml sends the
  // scrape to the exporter named in __exporter (a label that is dropped after relabelling).
  out.blackbox = present.has('blackbox-exporter') && runs('blackbox-exporter')
    ? probes.map((p) => ({
        targets: [`http://${a.host}:${a.servicePort(p.service)}${p.path}`],
        labels: { service: p.service, endpoint: `${p.method} ${p.path}`, __param_module: p.module, __exporter: a.peer('blackbox-exporter') },
      }))
    : [];
  return out;
}

export { CONTROL_PORT };
