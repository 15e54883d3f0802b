import { services } from '../stack/catalog.ts';
import { authHeaders } from '../core/control-guard.ts';
import type { ScaleResult, Supervisor } from './supervisor.ts';

export interface ScalingDeps {
  supervisor: Supervisor;
  /** Rewrites Prometheus' discovery files of the supervised services from the instances that run now. */
  writeTargets(): void;
  /** The session's token, for the services' operator endpoints (/admin/upstreams). */
  chaosToken: string;
  timeoutMs?: number;
}

/** A service that spreads its calls over the scaled one, and what it was told. */
export interface RoutingUpdate {
  via: string;
  /** The upstream list it confirmed, or null when it could not be told (then `error` says why). */
  upstreams: string[] | null;
  error?: string;
}

export interface ScaleReport extends ScaleResult {
  routing: RoutingUpdate[];
}

/**
 * Scaling a service is one sandbox operation, not three: the supervisor runs the instances,
 * Prometheus' file_sd targets list them, and every service that routes to it (api-gateway for
 * ml-service, catalog `routesTo`) gets the new upstream list. It lives here, behind the control
 * API, rather than in the remediation action, because every caller needs all three: the
 * controller, an operator's curl, the scenario and workshop resets. The session host also owns
 * what it takes (discovery files, the chaos token, the services' URLs), and a gateway restarted
 * later gets the same list from its environment (ML_SERVICE_URLS). The action only verifies.
 *
 * The upstream list is pushed even when the count did not change, so scaling to the count that
 * runs also repairs a gateway whose list drifted (the resets rely on this).
 */
export async function scaleService(deps: ScalingDeps, name: string, replicas: number): Promise<ScaleReport> {
  let result: ScaleResult;
  try {
    result = await deps.supervisor.scale(name, replicas);
  } catch (e) {
    // A scale that failed half-way still changed which instances run: targets and routing must
    // follow them, or a removed replica stays a dead target and upstream.
    await syncTargetsAndRouting(deps, name);
    throw e;
  }
  return { ...result, routing: await syncTargetsAndRouting(deps, name) };
}

async function syncTargetsAndRouting(deps: ScalingDeps, name: string): Promise<RoutingUpdate[]> {
  deps.writeTargets();
  const routing: RoutingUpdate[] = [];
  for (const router of services.filter((s) => s.routesTo === name)) {
    routing.push(await tellRouter(deps, router.name, deps.supervisor.instanceUrls(name)));
  }
  return routing;
}

async function tellRouter(deps: ScalingDeps, via: string, upstreams: string[]): Promise<RoutingUpdate> {
  const state = deps.supervisor.status().find((s) => s.name === via)?.state;
  if (state !== 'ready') {
    return { via, upstreams: null, error: `${via} is ${state ?? 'not supervised'}; it takes the instance list from its environment when it starts` };
  }
  try {
    const res = await fetch(`${deps.supervisor.urlOf(via)}/admin/upstreams`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...authHeaders(deps.chaosToken) },
      body: JSON.stringify({ upstreams }),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 5000),
    });
    const text = await res.text();
    if (!res.ok) return { via, upstreams: null, error: `PUT ${via} /admin/upstreams: HTTP ${res.status} ${text.slice(0, 300)}` };
    const body = JSON.parse(text) as { upstreams?: unknown };
    return { via, upstreams: Array.isArray(body.upstreams) ? body.upstreams.map(String) : upstreams };
  } catch (e) {
    return { via, upstreams: null, error: `PUT ${via} /admin/upstreams: ${(e as Error).message}` };
  }
}
