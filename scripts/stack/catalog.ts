import { SandboxError } from '../core/errors.ts';
import { alertmanager } from './components/alertmanager.ts';
import { blackboxExporter } from './components/blackbox-exporter.ts';
import { grafana } from './components/grafana.ts';
import { localstack } from './components/localstack.ts';
import { loki } from './components/loki.ts';
import { prometheus } from './components/prometheus.ts';
import { tempo } from './components/tempo.ts';
import { services } from './services.ts';
import type { ServiceSpec, StackComponentSpec } from './types.ts';

/** Every stack part, once. Both runtimes and the generated docker-compose.yml read this. */
export const stackComponents: readonly StackComponentSpec[] = [prometheus, alertmanager, blackboxExporter, loki, tempo, grafana, localstack];

export { services };

/** The session host's control API (status, restarts, shutdown, supervisor metrics). */
export const CONTROL_PORT = 9400;

/**
 * Where rule files link each alert's runbook page (`<base><Alert>`): the control API at the
 * default port. A sandbox on other ports renders its copy (runtime/config/runbook-links.ts).
 */
export const RUNBOOK_BASE_AS_WRITTEN = `http://127.0.0.1:${CONTROL_PORT}/runbooks/`;

export function allComponentNames(): string[] {
  return [...stackComponents.map((c) => c.name), ...services.map((s) => s.name)];
}

export function findStackComponent(name: string): StackComponentSpec | undefined {
  return stackComponents.find((c) => c.name === name);
}

export function findService(name: string): ServiceSpec | undefined {
  return services.find((s) => s.name === name);
}

export function requireService(name: string): ServiceSpec {
  const s = findService(name);
  if (!s) {
    throw new SandboxError('UNKNOWN_COMPONENT', `unknown service "${name}"`, {
      hint: `known services: ${services.map((x) => x.name).join(', ')}`,
    });
  }
  return s;
}

export function sampleServiceNames(): string[] {
  return services.filter((s) => s.role === 'sample').map((s) => s.name);
}

/**
 * Scale-out naming: instance 1 of a service is the service itself (its name, port and log);
 * instance n > 1 is `<service>-<n>` (status, pid registry, `<service>-<n>.log`, and the
 * `replica` label of its Prometheus target).
 */
export function instanceName(service: string, index: number): string {
  return index === 1 ? service : `${service}-${index}`;
}

/** How many instances of a service may run at once: 1 plus its reserved replica ports. */
export function maxInstances(spec: ServiceSpec): number {
  return 1 + (spec.replicaPorts?.length ?? 0);
}

/** Services that can be scaled out (they have replica ports in the plan). */
export function scalableServiceNames(): string[] {
  return services.filter((s) => maxInstances(s) > 1).map((s) => s.name);
}

/** Names of every replica instance the catalog allows (ml-service-2, ...), e.g. for `sandbox logs`. */
export function replicaInstanceNames(): string[] {
  return services.flatMap((s) => (s.replicaPorts ?? []).map((_p, i) => instanceName(s.name, i + 2)));
}

/**
 * Port layout for one sandbox. An offset moves every port at once, so that several sandboxes
 * (parallel CI shards, tests) can run on one machine.
 */
export interface PortPlan {
  offset: number;
  control: number;
  stack(component: string, port?: string): number;
  service(name: string): number;
  /** Ports of a service's extra instances (index 2, 3, ...); empty for a service that does not scale. */
  replicas(name: string): { instance: string; index: number; port: number }[];
  all(): { owner: string; port: number }[];
}

export function portPlan(offset = 0): PortPlan {
  if (!Number.isInteger(offset) || offset < 0 || offset > 50_000) {
    throw new SandboxError('INVALID_ARGUMENT', `port offset ${offset} is out of range`, {
      hint: 'use a whole number between 0 and 50000 (SANDBOX_PORT_OFFSET)',
    });
  }
  const replicas = (name: string) =>
    (requireService(name).replicaPorts ?? []).map((p, i) => ({ instance: instanceName(name, i + 2), index: i + 2, port: p + offset }));
  const plan: PortPlan = {
    offset,
    control: CONTROL_PORT + offset,
    stack(component, port) {
      const spec = findStackComponent(component);
      const p = spec?.ports[port ?? spec.primaryPort];
      if (!spec || p === undefined) throw new SandboxError('UNKNOWN_COMPONENT', `no port ${port ?? ''} on ${component}`);
      return p + offset;
    },
    service(name) {
      return requireService(name).port + offset;
    },
    replicas,
    all() {
      return [
        { owner: 'sandbox control API', port: CONTROL_PORT + offset },
        ...stackComponents.flatMap((c) =>
          Object.entries(c.ports).map(([n, p]) => ({ owner: `${c.name} (${n})`, port: p + offset })),
        ),
        ...services.map((s) => ({ owner: s.name, port: s.port + offset })),
        // Scale-out replicas' ports are checked at start too: a replica started later must find its port free.
        ...services.flatMap((s) => replicas(s.name).map((r) => ({ owner: r.instance, port: r.port }))),
      ];
    },
  };
  const blocked = plan.all().filter((p) => FETCH_BLOCKED_PORTS.has(p.port));
  if (blocked.length > 0) {
    const where = blocked.map((b) => `${b.owner} on port ${b.port}`).join(' and ');
    throw new SandboxError('INVALID_ARGUMENT', `port offset ${offset} puts ${where}, which fetch() refuses to connect to (a "bad port" of the Fetch standard)`, {
      hint: `use another port offset (SANDBOX_PORT_OFFSET / --port-offset), e.g. ${nextUsableOffset(offset + 1)}`,
    });
  }
  return plan;
}

/**
 * Ports of the Fetch standard's "bad port" list at or above 1024 (Node's fetch, undici, refuses
 * them with "bad port"): the sandbox's own HTTP calls would fail on them.
 */
const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

/** Whether the plan at this offset is valid and puts no port on a fetch "bad port". */
export function isUsableOffset(offset: number): boolean {
  if (!Number.isInteger(offset) || offset < 0 || offset > 50_000) return false;
  return portsAt(offset).every((p) => !FETCH_BLOCKED_PORTS.has(p));
}

/** The first usable offset at or after `from` in steps of `step` (ports stay distinct across steps of 50). */
export function nextUsableOffset(from: number, step = 1): number {
  for (let offset = from; offset <= 50_000; offset += step) if (isUsableOffset(offset)) return offset;
  throw new SandboxError('INVALID_ARGUMENT', `no usable port offset from ${from} up to 50000 in steps of ${step}`);
}

/** Every port number the plan uses at offset 0, shifted. */
function portsAt(offset: number): number[] {
  return [
    CONTROL_PORT,
    ...stackComponents.flatMap((c) => Object.values(c.ports)),
    ...services.flatMap((s) => [s.port, ...(s.replicaPorts ?? [])]),
  ].map((p) => p + offset);
}
