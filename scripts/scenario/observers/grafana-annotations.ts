import type { ComponentStatus } from '../../runtime/types.ts';
import type { EventOf, TimelineEvent, TimelineRecorder } from '../timeline.ts';

/**
 * Scenario fault windows as Grafana region annotations, for the alerts-and-remediation
 * dashboard's "Fault windows" annotation query (built-in Grafana data source, tags
 * `sandbox` + `fault`). A consumer of timeline events, like the reporters:
 *
 * - `fault-start` → `POST /api/annotations` with `time` = `timeEnd` = the fault's start (epoch
 *   ms), tags `sandbox`, `fault`, the fault type, the service and `scenario:<name>`, and a text
 *   naming scenario, fault and params. No dashboardUID: an organization annotation, which a
 *   tag-filtered query on any dashboard shows.
 * - `fault-end` → `PATCH /api/annotations/<id>` with `timeEnd` = the fault's end and the text
 *   completed with why it ended (expired, cleared, remediated, scenario-end).
 *
 * Created at injection and patched at the end, rather than written once at the end, so that the
 * window shows on the dashboard while the fault is active (a start marker that becomes a region),
 * and a run killed mid-fault still leaves its start behind.
 *
 * Grafana's anonymous role is read-only Viewer (compose/grafana/grafana.ini), so writes use basic
 * auth: GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD when set (the variables Grafana
 * itself reads), else Grafana's default admin/admin. A failed write never fails or delays a
 * scenario: every request has a short timeout, stop() waits at most that long for what is in
 * flight, and a failure is recorded as a `query-error` event with backend `grafana` (a warning).
 */

export interface GrafanaAnnotatorOptions {
  /** Grafana's base URL as the host reaches it (status JSON), e.g. http://127.0.0.1:3000. */
  url: string;
  scenario: string;
  timeline: TimelineRecorder;
  user?: string;
  password?: string;
  /** Per request, and the longest stop() waits for requests in flight. */
  timeoutMs?: number;
}

export const FAULT_ANNOTATION_TAGS = ['sandbox', 'fault'] as const;
export const ANNOTATION_TIMEOUT_MS = 2000;

/** Grafana's URL when it is `ready` in this sandbox; null where it does not run (natively without a binary, attached). */
export function grafanaUrlOf(components: readonly ComponentStatus[]): string | null {
  const c = components.find((x) => x.name === 'grafana');
  return c?.state === 'ready' && c.url ? c.url.replace(/\/+$/, '') : null;
}

export function faultAnnotationTags(scenario: string, e: EventOf<'fault-start'>): string[] {
  return [...FAULT_ANNOTATION_TAGS, e.fault, e.service, `scenario:${scenario}`];
}

export function faultAnnotationText(scenario: string, e: EventOf<'fault-start'>): string {
  const params = e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : '';
  return `scenario ${scenario}: fault ${e.fault} on ${e.service}${params}`;
}

/**
 * The annotator for a scenario run where Grafana is `ready` in `components` (status JSON); null,
 * with nothing sent and nothing logged, where it does not run.
 */
export function grafanaFaultAnnotator(components: readonly ComponentStatus[], options: Omit<GrafanaAnnotatorOptions, 'url'>): { stop(): Promise<void> } | null {
  const url = grafanaUrlOf(components);
  return url ? annotateFaultWindows({ ...options, url }) : null;
}

class WriteError extends Error {}

/** Starts writing fault windows of `timeline` to Grafana; stop() once the scenario's faults have ended. */
export function annotateFaultWindows(options: GrafanaAnnotatorOptions): { stop(): Promise<void> } {
  const { url, scenario, timeline } = options;
  const timeoutMs = options.timeoutMs ?? ANNOTATION_TIMEOUT_MS;
  const user = options.user ?? process.env.GF_SECURITY_ADMIN_USER ?? 'admin';
  const password = options.password ?? process.env.GF_SECURITY_ADMIN_PASSWORD ?? 'admin';
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
  // Aborted by stop() after its grace period: nothing outlives the scenario.
  const abandon = new AbortController();
  /** Annotation id per fault id (null: the POST failed); pending writes. */
  const created = new Map<string, Promise<{ id: number; text: string } | null>>();
  const pending = new Set<Promise<unknown>>();

  const send = async (method: 'POST' | 'PATCH', path: string, body: unknown): Promise<unknown> => {
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), abandon.signal]);
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body), signal });
    } catch (e) {
      const err = e as Error;
      if (abandon.signal.aborted) throw new WriteError('abandoned at the end of the scenario');
      if (err.name === 'TimeoutError') throw new WriteError(`no answer within ${timeoutMs} ms`);
      throw new WriteError((err.cause as Error | undefined)?.message ?? err.message);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new WriteError(`HTTP ${res.status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  };
  const warn = (what: string, e: unknown) => {
    timeline.record({ kind: 'query-error', backend: 'grafana', query: what, message: e instanceof WriteError ? e.message : (e as Error).message });
  };
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const onStart = (e: EventOf<'fault-start'>) => {
    const text = faultAnnotationText(scenario, e);
    const time = Date.parse(e.at);
    const what = `POST /api/annotations (${e.fault} on ${e.service})`;
    const p = send('POST', '/api/annotations', { time, timeEnd: time, tags: faultAnnotationTags(scenario, e), text }).then(
      (body) => {
        const id = (body as { id?: unknown } | null)?.id;
        if (typeof id === 'number') return { id, text };
        warn(what, new WriteError(`no annotation id in the answer: ${JSON.stringify(body)?.slice(0, 200)}`));
        return null;
      },
      (err: unknown) => {
        warn(what, err);
        return null;
      },
    );
    created.set(e.id, p);
    track(p);
  };

  const onEnd = (e: EventOf<'fault-end'>) => {
    const start = created.get(e.id);
    if (!start) return;
    created.delete(e.id);
    const timeEnd = Date.parse(e.at);
    const p = start.then(async (annotation) => {
      if (!annotation) return;
      try {
        await send('PATCH', `/api/annotations/${annotation.id}`, { timeEnd, text: `${annotation.text} (ended: ${e.reason})` });
      } catch (err) {
        warn(`PATCH /api/annotations/${annotation.id} (${e.fault} on ${e.service} ended)`, err);
      }
    });
    track(p);
  };

  const unsubscribe = timeline.subscribe((e: TimelineEvent) => {
    try {
      if (e.kind === 'fault-start') onStart(e);
      else if (e.kind === 'fault-end') onEnd(e);
    } catch {
      // Runs inside timeline.record(): an annotation is never worth breaking the scenario.
    }
  });

  return {
    async stop() {
      unsubscribe();
      const settled = () => Promise.allSettled([...pending]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      // Still in flight after the grace period (a POST then its PATCH to a hung Grafana): abandon.
      abandon.abort();
      await settled();
    },
  };
}
