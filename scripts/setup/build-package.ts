/**
 * `npm run build` (and `npm pack`, through prepack): the package's dist/, what another project
 * runs when it installs this one:
 *   dist/scripts/cli/main.mjs      the `sandbox` command (bin/sandbox.mjs loads it)
 *   dist/scripts/engine/host-main.mjs  the background sandbox `up --detach` starts (bin/sandbox.mjs names it)
 *   dist/scripts/api.mjs           `import ... from 'observability-sandbox'`
 *   dist/scripts/vitest/index.mjs  `import ... from 'observability-sandbox/vitest'`
 *   dist/types/...                 their declarations (tsc), for `exports` "types"
 * bundled exactly as the checkout's CLI build (host-build.ts bundleOptions: ESM, code splitting,
 * packages external), but without pinning source locations: every path the code reads derives
 * from PROJECT_ROOT, found at run time (runtime/paths.ts), so dist/ works wherever it is
 * installed. The sample services, sink and controller still start from their sources, built on
 * first `up` into the package's build cache (host-build.ts), as in a checkout.
 * dist/ is git-ignored and removed again after packing (postpack).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, checkLoadOrder, CLI_BUNDLED_PACKAGES } from '../runtime/processes/host-build.ts';
import { PROJECT_ROOT } from '../core/paths.ts';

/** The package's entry points, relative to the project root. */
export const PACKAGE_ENTRIES = ['scripts/cli/main.ts', 'scripts/engine/host-main.ts', 'scripts/api.ts', 'scripts/vitest/index.ts'] as const;
/** The ones another project imports (package.json `exports`), which get declarations. */
const TYPED_ENTRIES = ['scripts/api.ts', 'scripts/vitest/index.ts'] as const;

export async function buildPackage(root = resolve(PROJECT_ROOT), options: { types?: boolean } = {}): Promise<string> {
  const dist = join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const entries = PACKAGE_ENTRIES.map((e) => join(root, e));
  const result = await build({ ...bundleOptions(root, entries, CLI_BUNDLED_PACKAGES), outdir: dist, metafile: true, write: true, logLevel: 'error' });
  // The same guarantee as the host build: no dynamic import() turned into a load at start.
  checkLoadOrder(result.metafile, root, entries);
  if (options.types !== false) emitDeclarations(root, dist);
  return dist;
}

function emitDeclarations(root: string, dist: string): void {
  mkdirSync(dist, { recursive: true });
  const config = join(dist, 'tsconfig.types.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: relative(dist, join(root, 'tsconfig.json')),
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: 'types', rootDir: '..', types: ['node'] },
      include: [],
      files: TYPED_ENTRIES.map((e) => relative(dist, join(root, e))),
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: root, stdio: 'inherit' });
  rmSync(config);
  if (tsc.status !== 0) throw new Error('tsc could not emit the declarations (errors above)');
  // Declarations written by hand beside plain .mjs modules are not emitted by tsc: copy them.
  for (const file of handWrittenDeclarations(join(root, 'scripts'))) {
    const target = join(dist, 'types', relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
}

function handWrittenDeclarations(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.d.mts'))
    .map((e) => join(e.parentPath, e.name));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(PROJECT_ROOT, 'scripts/setup/build-package.ts')) {
  const t0 = performance.now();
  const dist = await buildPackage(resolve(PROJECT_ROOT), { types: !process.argv.includes('--no-types') });
  process.stdout.write(`built ${relative(process.cwd(), dist) || dist} in ${Math.round(performance.now() - t0)} ms\n`);
}
