import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../core/paths.ts';
import { renderScale } from './render.ts';
import { loadSpec } from './spec.ts';

/**
 * Renders compose/prometheus/slo/slos.yml into Prometheus rule files, one per service and scale.
 *   node --import tsx scripts/alerting/slo/generate.ts [--check] [spec.yml]
 * --check writes nothing and exits 1 when a committed file differs from a fresh generation.
 */

export const DEFAULT_SPEC = join(PROJECT_ROOT, 'compose/prometheus/slo/slos.yml');

/** Every generated file: absolute path → content. */
export function generate(specPath: string = DEFAULT_SPEC): Map<string, string> {
  const spec = loadSpec(specPath);
  const sourceLabel = relative(PROJECT_ROOT, specPath).split('\\').join('/');
  const out = new Map<string, string>();
  for (const scale of spec.scales) {
    const dir = resolve(dirname(specPath), scale.output);
    for (const [name, text] of renderScale(spec, scale, sourceLabel)) out.set(join(dir, name), text);
  }
  return out;
}

/** Files whose committed content differs from a fresh generation (missing files included). */
export function staleFiles(files: Map<string, string>): string[] {
  const stale: string[] = [];
  for (const [path, text] of files) {
    let current: string | null = null;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = null;
    }
    if (current !== text) stale.push(path);
  }
  return stale;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const specPath = argv.find((a) => !a.startsWith('--')) ?? DEFAULT_SPEC;
  const files = generate(resolve(specPath));
  if (check) {
    const stale = staleFiles(files);
    for (const p of stale) console.error(`stale: ${relative(PROJECT_ROOT, p)}`);
    if (stale.length > 0) console.error('run: node --import tsx scripts/alerting/slo/generate.ts');
    return stale.length > 0 ? 1 : 0;
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${relative(PROJECT_ROOT, path)}`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
  }
}
