import { basename, dirname } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../../core/duration.ts';
import { SandboxError } from '../../core/errors.ts';
import { readAttachTargets, type AttachJob } from '../../runtime/attached/targets.ts';

/**
 * Before any fault on an attached stack: the team's Prometheus scrapes every target the sandbox
 * lists. Without it every expectation fails later as "no alert fired", with no cause named; this
 * check names the file, the job label the built-in rules select and the refresh interval to set.
 */

interface PromTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError?: string;
}
type ScrapeConfigYaml = { job_name?: string; scrape_interval?: string; file_sd_configs?: { files?: string[]; refresh_interval?: string }[] };
type PrometheusYaml = { global?: { scrape_interval?: string }; scrape_configs?: ScrapeConfigYaml[] } | null;

/** filepath.Glob's `*`, `?` and `[...]` in a file name (file_sd allows a pattern in the last path element). */
function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(name);
}

/** The scrape configs (job, refresh interval) whose file_sd reads `file`. Prometheus shows paths made absolute. */
export function jobsReading(configYaml: string, file: string): { job: string; refreshInterval: string; scrapeInterval: string }[] {
  const config = parse(configYaml) as PrometheusYaml;
  const out: { job: string; refreshInterval: string; scrapeInterval: string }[] = [];
  for (const sc of config?.scrape_configs ?? []) {
    for (const sd of sc.file_sd_configs ?? []) {
      if ((sd.files ?? []).some((p) => dirname(p) === dirname(file) && globMatches(basename(p), basename(file)))) {
        out.push({ job: sc.job_name ?? '', refreshInterval: sd.refresh_interval ?? '5m', scrapeInterval: sc.scrape_interval ?? config?.global?.scrape_interval ?? '1m' });
      }
    }
  }
  return out;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new SandboxError('RUNTIME_UNAVAILABLE', `${url}: HTTP ${res.status}`);
  return ((await res.json()) as { data: T }).data;
}

/**
 * Waits until the attached Prometheus scrapes every target of the sandbox's attach targets files
 * successfully, at most `timeoutMs` (default: two scrape intervals of the reading job plus 5 s,
 * 15 s to 60 s). Warns (does not fail) when a target is scraped under another job than the one the
 * built-in rules select.
 */
export async function waitForScrapedTargets(
  prometheusUrl: string,
  stateDir: string,
  options: { timeoutMs?: number; warn?: (line: string) => void } = {},
): Promise<void> {
  const wanted = readAttachTargets(stateDir);
  const configYaml = (await getJson<{ yaml: string }>(`${prometheusUrl}/api/v1/status/config`)).yaml;
  const readers = new Map(wanted.map((t) => [t.file, jobsReading(configYaml, t.file)]));
  const slowest = Math.max(0, ...[...readers.values()].flat().map((r) => parseDuration(r.scrapeInterval) ?? 60));
  const timeoutMs = options.timeoutMs ?? Math.min(60_000, Math.max(15_000, (2 * slowest + 5) * 1000));
  const deadline = Date.now() + timeoutMs;
  let active: PromTarget[] = [];
  const missing = () => wanted.filter((t) => !active.some((a) => a.discoveredLabels.__address__ === t.target && a.health === 'up'));
  // A file no scrape config reads: no wait helps, one look says what is scraped.
  const waiting = [...readers.values()].every((r) => r.length > 0);
  for (;;) {
    active = (await getJson<{ activeTargets: PromTarget[] }>(`${prometheusUrl}/api/v1/targets?state=active`)).activeTargets;
    if (!waiting || missing().length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const t of wanted) {
    const scraped = active.find((a) => a.discoveredLabels.__address__ === t.target);
    if (scraped && scraped.labels.job !== t.job) {
      options.warn?.(`${t.target} (from ${t.file}) is scraped as job="${scraped.labels.job}"; the built-in rules select job="${t.job}"`);
    }
  }
  const lost = missing();
  if (lost.length === 0) return;
  const details: string[] = [];
  for (const [file, group] of groupBy(lost, (t) => t.file)) {
    const job = group[0]!.job as AttachJob;
    const reading = readers.get(file) ?? [];
    const before = details.length;
    if (reading.length === 0) {
      details.push(`no scrape config of your Prometheus reads ${file}: add a job_name ${job} (the label the built-in rules select: job="${job}") with file_sd_configs files [${file}] and refresh_interval: 1s`);
      continue;
    }
    const down = group.map((t) => ({ t, a: active.find((a) => a.discoveredLabels.__address__ === t.target) })).filter((x) => x.a);
    if (down.length > 0) {
      details.push(`${file}: ${down.map((x) => `${x.t.target} is scraped but ${x.a!.health}${x.a!.lastError ? ` (${x.a!.lastError})` : ''}`).join('; ')}`);
    }
    const undiscovered = group.filter((t) => !active.some((a) => a.discoveredLabels.__address__ === t.target));
    if (undiscovered.length > 0) {
      const r = reading.map((x) => `job ${x.job}, refresh_interval ${x.refreshInterval}`).join('; ');
      details.push(
        `${file} is read (${r}) but Prometheus has not discovered ${undiscovered.map((t) => t.target).join(', ')}${waiting ? ` within ${Math.round(timeoutMs / 1000)}s` : ''}: ` +
          `set refresh_interval: 1s (file_sd re-reads a file on change only while it watches its directory, which it sets up again only at the next refresh)`,
      );
    }
    if (details.length === before) details.push(`${file}: ${group.map((t) => t.target).join(', ')} not scraped`);
  }
  throw new SandboxError('INVALID_CONFIG', `the Prometheus at ${prometheusUrl} does not scrape the sandbox's services (${lost.length} of ${wanted.length} targets)`, {
    details,
    hint: '`npx sandbox attach config` prints the scrape jobs to add (the same --state-dir and --port-offset as this run); reload Prometheus after adding them',
  });
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(key(i), [...(out.get(key(i)) ?? []), i]);
  return out;
}
