import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../scripts/core/paths.ts';

/**
 * The layout is the architecture (docs/architecture.md): one folder per part, dependencies
 * pointing down. This reads every import (static, `export ... from`, `import type`, dynamic
 * `import()`) of the sandbox's own code and fails on an import cycle or an upward import,
 * naming the files.
 */

/** Bottom to top. A module may import its own folder and folders of lower layers only. */
const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  ['stack'],
  ['alerting'],
  ['runtime'],
  ['faults', 'load'],
  ['scenario'],
  ['reporters'],
  ['engine'],
  ['workshop', 'bench'],
  ['cli', 'vitest', 'setup', 'api.ts', 'json-schemas.ts'],
];

/** What the sample services may use of the sandbox (the fault contract), and the reverse. */
const SERVICES_MAY_IMPORT = [/^scripts\/core\//, /^scripts\/faults\/catalog\.ts$/];
const SANDBOX_MAY_IMPORT_FROM_SERVICES = /^sample-services\/shared\//;

type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(?:ts|mts|mjs)$/.test(e.name) && !/\.d\.m?ts$/.test(e.name))
    .map((e) => relative(PROJECT_ROOT, join(e.parentPath, e.name)).split(sep).join('/'));
}

export function importGraph(files: readonly string[], read: (file: string) => string = (f) => readFileSync(join(PROJECT_ROOT, f), 'utf8')): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const imports = ts
      .preProcessFile(read(file), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(file), s)).split(sep).join('/'));
    graph.set(file, imports);
  }
  return graph;
}

/** Every cycle (strongly connected component of more than one module, or a self-import). */
export function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const part = (file: string) => file.split('/')[1]!;
const layerOf = (file: string) => LAYERS.findIndex((l) => l.includes(part(file)));

/** Imports that point up a layer, or sideways into another part of the same layer. */
export function wrongWay(graph: Graph): string[] {
  const problems: string[] = [];
  for (const [from, imports] of graph) {
    for (const to of imports) {
      if (from.startsWith('sample-services/')) {
        if (to.startsWith('scripts/') && !SERVICES_MAY_IMPORT.some((r) => r.test(to))) problems.push(`${from} → ${to} (the sample services may use only scripts/core and the fault catalog)`);
        continue;
      }
      if (to.startsWith('sample-services/')) {
        if (!SANDBOX_MAY_IMPORT_FROM_SERVICES.test(to)) problems.push(`${from} → ${to} (the sandbox may use only sample-services/shared)`);
        continue;
      }
      if (!to.startsWith('scripts/') || part(from) === part(to)) continue;
      const [a, b] = [layerOf(from), layerOf(to)];
      if (a === -1 || b === -1) problems.push(`${from} → ${to} (${a === -1 ? part(from) : part(to)} is in no layer: add it to LAYERS)`);
      else if (b > a) problems.push(`${from} → ${to} (upward: ${part(from)} is below ${part(to)})`);
      else if (b === a) problems.push(`${from} → ${to} (sideways: ${part(from)} and ${part(to)} are peers)`);
    }
  }
  return problems;
}

describe('import graph', () => {
  const graph = importGraph([...sourceFiles('scripts'), ...sourceFiles('sample-services')]);

  it('reads the code it checks', () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get('scripts/engine/suite-run.ts')).toContain('scripts/engine/open-sandboxes.ts');
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no upward or sideways imports between the parts', () => {
    expect(wrongWay(graph)).toEqual([]);
  });

  it('the checks fail on a cycle and on an upward import', () => {
    const sources: Record<string, string> = {
      'scripts/scenario/a.ts': "import type { B } from './b.ts';",
      'scripts/scenario/b.ts': "export { a } from './a.ts';",
      'scripts/core/c.ts': "const m = await import('../cli/main.ts');",
      'scripts/cli/main.ts': "import { c } from '../core/c.ts';",
    };
    const g = importGraph(Object.keys(sources), (f) => sources[f]!);
    expect(cycles(g)).toEqual([['scripts/scenario/a.ts', 'scripts/scenario/b.ts'], ['scripts/cli/main.ts', 'scripts/core/c.ts']]);
    expect(wrongWay(g)).toEqual(['scripts/core/c.ts → scripts/cli/main.ts (upward: core is below cli)']);
  });
});
