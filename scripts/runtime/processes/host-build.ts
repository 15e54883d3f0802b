import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import { buildId, buildKey, CLI_BUNDLED_PACKAGES, defaultCacheDir, FORMAT, indexFileFor, openBuild, reuseBuild, touch } from './build-cache.mjs';

export { CLI_BUNDLED_PACKAGES, defaultCacheDir };

/**
 * Host-process entries (services, sink, controller, reaper, and the CLI itself) compiled ahead of time with esbuild,
 * so each process starts with plain `node` instead of loading tsx and compiling on the fly:
 * what makes the native cold start slow on two cores is five tsx processes compiling at once.
 *
 * The output keeps run-time behaviour the same as `node --import tsx <entry>.ts`:
 * - node_modules stay external (packages: 'external'): Node loads them as it would from source, so
 *   OpenTelemetry's HTTP instrumentation patches `http` exactly as before;
 * - ESM with code splitting: every dynamic import() stays a lazily loaded chunk, so an entry that
 *   starts tracing before it imports what loads `http` keeps that order. Checked after every build:
 *   no package or builtin may be statically reachable from a built entry unless it is from the
 *   source entry (the build is rejected otherwise);
 * - `import.meta.url`, `.dirname` and `.filename` are replaced in every source file by that file's
 *   own location, so paths resolved relative to a source file (PROJECT_ROOT, the model folder)
 *   are the same; any other use of import.meta rejects the build;
 * - source maps, so stack traces name the .ts files and lines (node --enable-source-maps).
 *
 * Builds are content-addressed (a hash of every compiled file's bytes, the build options and the
 * esbuild version) under node_modules/.cache/sandbox-build/, written to a temporary directory and
 * renamed into place, so sandboxes starting in parallel never see half a build and both succeed.
 * A warm start reads the index of the last build for these entries and rehashes its inputs (no
 * esbuild; build-cache.mjs, which bin/sandbox.mjs also reads); any changed byte means a new build.
 */

const STALE_BUILD_MS = 24 * 3600_000;
const STALE_TMP_MS = 3600_000;
let inFlight = 0;

export interface HostBuild {
  /** The build's directory (content-addressed). */
  dir: string;
  /** Source entry (absolute) → built entry (absolute .mjs). */
  entries: Map<string, string>;
  /** True when an existing build was reused (no esbuild run). */
  reused: boolean;
  ms: number;
}

interface Manifest {
  format: string;
  /** Source entry path relative to the project root → built file relative to the build dir. */
  entries: Record<string, string>;
}

interface Index {
  build: string;
  /** Every compiled file, absolute. */
  inputs: string[];
}

export interface HostBuildOptions {
  /** Default: <projectRoot>/node_modules/.cache/sandbox-build (SANDBOX_BUILD_CACHE_DIR overrides). */
  cacheDir?: string;
  /** Packages compiled into the build instead of left external (the CLI's: CLI_BUNDLED_PACKAGES). */
  bundledPackages?: readonly string[];
}

/**
 * The built entries for these source entries (paths relative to projectRoot or absolute):
 * reused when every input is unchanged, built otherwise. Throws when the build fails or would
 * change load order; callers fall back to tsx.
 */
export async function buildHostEntries(projectRoot: string, entries: readonly string[], options: HostBuildOptions = {}): Promise<HostBuild> {
  const t0 = performance.now();
  const root = resolve(projectRoot);
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir(root));
  assertPackagesResolve(root, cacheDir);
  const absEntries = [...new Set(entries.map((e) => resolve(root, e)))].sort();
  const bundled = options.bundledPackages ?? [];
  const key = buildKey(root, absEntries, bundled);
  const indexFile = indexFileFor(cacheDir, key);

  const reused = reuseBuild(cacheDir, root, absEntries, key);
  if (reused) return { ...reused, reused: true, ms: performance.now() - t0 };

  const built = await buildFresh(cacheDir, indexFile, key, root, absEntries, bundled);
  prune(cacheDir, built.dir);
  return { ...built, reused: false, ms: performance.now() - t0 };
}

/**
 * How entries are bundled, here and for the package's dist/ (scripts/setup/build-package.ts):
 * ESM with code splitting, packages external, source maps, names kept. `bundledPackages` are
 * compiled in instead (the CLI's, CLI_BUNDLED_PACKAGES); their CommonJS require() of builtins
 * goes through a `require` each output file defines (createRequire), as ESM has none.
 */
export function bundleOptions(root: string, absEntries: readonly string[], bundledPackages: readonly string[] = []): BuildOptions {
  const bundling: BuildOptions =
    bundledPackages.length === 0
      ? { packages: 'external' }
      : {
          plugins: [externalPackagesExcept(bundledPackages)],
          banner: { js: "import { createRequire as __sandboxCreateRequire } from 'node:module';\nconst require = __sandboxCreateRequire(import\u002emeta.url);" },
        };
  return {
    absWorkingDir: root,
    entryPoints: [...absEntries],
    outbase: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    ...bundling,
    outExtension: { '.js': '.mjs' },
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    // Names stay readable in stack traces and logs (class and function names).
    keepNames: true,
    logLevel: 'silent',
  };
}

async function buildFresh(cacheDir: string, indexFile: string, key: string, root: string, absEntries: string[], bundled: readonly string[]): Promise<Omit<HostBuild, 'reused' | 'ms'>> {
  const esbuild = await import('esbuild');
  const contents = new Map<string, Buffer>();
  inFlight += 1;
  let result: Awaited<ReturnType<typeof esbuild.build<{ write: false; metafile: true }>>>;
  try {
    const options = bundleOptions(root, absEntries, bundled);
    result = await esbuild.build({
      ...options,
      outdir: 'out', // relative to absWorkingDir; write: false, the files go to the cache dir
      metafile: true,
      write: false,
      plugins: [...(options.plugins ?? []), sourceLocationPlugin(root, contents)],
    });
  } catch (e) {
    // esbuild's message lists its errors on separate lines: one line reads better in a log.
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    if (!errors?.length) throw e;
    throw new Error(errors.map((x) => (x.location ? `${x.location.file}:${x.location.line}: ${x.text}` : x.text)).join('; '));
  } finally {
    // esbuild's service process would otherwise idle in this process for the session.
    if (--inFlight === 0) await esbuild.stop();
  }
  const metafile = result.metafile!;
  const outRoot = join(root, 'out');
  const entryOutputs = checkLoadOrder(metafile, root, absEntries);

  // Any input the plugin did not load itself (none expected) is hashed from disk.
  for (const input of Object.keys(metafile.inputs)) {
    const abs = resolve(root, input);
    if (!contents.has(abs)) contents.set(abs, readFileSync(abs));
  }
  const id = buildId(key, root, contents);
  const dir = join(cacheDir, id);
  if (!openBuild(dir, root, absEntries)) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = join(cacheDir, `.tmp-${id.slice(0, 12)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      for (const file of result.outputFiles!) {
        const target = join(tmp, relative(outRoot, file.path));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, file.contents);
      }
      const manifest: Manifest = {
        format: FORMAT,
        entries: Object.fromEntries(absEntries.map((e) => [relative(root, e), relative(outRoot, entryOutputs.get(e)!)])),
      };
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
      try {
        renameSync(tmp, dir);
      } catch (e) {
        // Another builder renamed the same build into place first: theirs is identical.
        if (!existsSync(join(dir, 'manifest.json'))) throw e;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const opened = openBuild(dir, root, absEntries);
  if (!opened) throw new Error(`build ${dir} is incomplete`);
  writeAtomically(indexFile, JSON.stringify({ build: id, inputs: [...contents.keys()].sort() } satisfies Index));
  return opened;
}

/**
 * Replaces import.meta.url/dirname/filename in each project source file with that file's own
 * location, and keeps the exact bytes compiled (for the build id).
 */
function sourceLocationPlugin(root: string, contents: Map<string, Buffer>): Plugin {
  return {
    name: 'source-location',
    setup(build) {
      build.onLoad({ filter: /\.(?:[cm]?[jt]sx?|json)$/ }, (args) => {
        const bytes = readFileSync(args.path);
        contents.set(args.path, bytes);
        if (args.path.endsWith('.json')) return { contents: bytes, loader: 'json' };
        const source = bytes.toString('utf8');
        const url = pathToFileURL(args.path).href;
        const replaced = source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, prop: string) =>
          JSON.stringify(prop === 'url' ? url : prop === 'dirname' ? dirname(args.path) : args.path),
        );
        // (The message above spells import.meta with an escape: this file is bundled too, into the CLI.)
        const left = /\bimport\.meta\b(?!\s*\.\s*(?:url|dirname|filename)\b)/.exec(stripComments(replaced));
        if (left) {
          return { errors: [{ text: `import\u002emeta used in a way the build cannot keep (only .url, .dirname, .filename): ${relative(root, args.path)}` }] };
        }
        const ext = /\.([cm]?[jt]sx?)$/.exec(args.path)![1]!;
        const loader = ext.includes('ts') ? (ext.endsWith('x') ? 'tsx' : 'ts') : ext.endsWith('x') ? 'jsx' : 'js';
        return { contents: replaced, loader };
      });
    },
  };
}

/** Every package and builtin external but these (packages: 'external' with exceptions). */
function externalPackagesExcept(bundled: readonly string[]): Plugin {
  const keep = new Set(bundled);
  return {
    name: 'external-packages-except',
    setup(build) {
      // Bare specifiers: a package (its name is the first segment, two when scoped) or a builtin.
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const [first, second] = args.path.split('/');
        const name = first!.startsWith('@') ? `${first}/${second}` : first!;
        return keep.has(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/**
 * The load-order guarantee. From each built entry, following only static imports between
 * chunks, every module whose code is reached must also be reached from the source entry through
 * static imports, and so must every package or builtin. (Code splitting could otherwise move a
 * module that only a dynamic import() loads into a chunk the entry loads at once, e.g. one that
 * imports `http` ahead of the tracing setup.) Returns source entry → built entry.
 */
export function checkLoadOrder(metafile: Metafile, root: string, absEntries: string[]): Map<string, string> {
  const entryOutputs = new Map<string, string>();
  for (const [out, meta] of Object.entries(metafile.outputs)) {
    if (meta.entryPoint) entryOutputs.set(resolve(root, meta.entryPoint), out);
  }
  const result = new Map<string, string>();
  for (const entry of absEntries) {
    const output = entryOutputs.get(entry);
    if (!output) throw new Error(`esbuild produced no output for ${relative(root, entry)}`);
    const source = staticClosure(relative(root, entry), (p) => metafile.inputs[p]?.imports ?? []);
    const built = staticClosure(output, (p) => metafile.outputs[p]?.imports ?? []);
    const early = [...built.files].flatMap((o) => Object.keys(metafile.outputs[o]?.inputs ?? {})).filter((m) => !source.files.has(m));
    const hoisted = [...built.externals].filter((x) => !source.externals.has(x));
    if (early.length > 0 || hoisted.length > 0) {
      throw new Error(
        `bundling would load ${[...new Set([...hoisted, ...early])].join(', ')} at start of ${relative(root, entry)}, ` +
          'which the source loads only later (a dynamic import moved into a static chunk)',
      );
    }
    result.set(entry, resolve(root, output));
  }
  return result;
}

/** Files reached through static imports (the start included), and the packages/builtins they import. */
function staticClosure(start: string, importsOf: (path: string) => readonly { path: string; kind: string; external?: boolean }[]): { files: Set<string>; externals: Set<string> } {
  const files = new Set<string>([start]);
  const externals = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    for (const imp of importsOf(queue.shift()!)) {
      // (A top-level require() in a bundled CommonJS package runs as early as a static import.)
      if (imp.kind !== 'import-statement' && imp.kind !== 'require-call') continue;
      if (imp.external) {
        // (esbuild also lists imports TypeScript elides, used only as types: more to allow, never less.)
        externals.add(imp.path.replace(/^node:/, ''));
      } else if (!files.has(imp.path)) {
        files.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  return { files, externals };
}

function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.tmp-${basename(file)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Removes builds unused for a day (a running sandbox touches its build) and abandoned temp dirs. */
function prune(cacheDir: string, keep: string): void {
  const now = Date.now();
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(cacheDir, name);
    if (path === keep || name.startsWith('index-')) continue;
    try {
      const age = now - statSync(path).mtimeMs;
      if (age > (name.startsWith('.tmp-') ? STALE_TMP_MS : STALE_BUILD_MS)) rmSync(path, { recursive: true, force: true });
    } catch {
      // raced with another pruner
    }
  }
}

/**
 * Built files import packages by name, and Node looks for them from the built file's real
 * location: the cache must be where the project's own node_modules are found (inside the
 * project, or inside its node_modules even when that is a symlink).
 */
function assertPackagesResolve(root: string, cacheDir: string): void {
  const probe = 'esbuild/package.json';
  const fromRoot = createRequire(join(root, 'package.json')).resolve(probe);
  mkdirSync(cacheDir, { recursive: true }); // a read-only project says so here (EACCES, EROFS)
  let fromCache: string | undefined;
  try {
    fromCache = createRequire(join(realpathSync(cacheDir), 'probe.mjs')).resolve(probe);
  } catch {
    // not found from there
  }
  if (fromCache !== fromRoot) {
    throw new Error(`packages do not resolve from the build cache ${cacheDir} as from the project ${root}: put it inside the project`);
  }
}

/** How host processes are started: the arguments to `node` for a TypeScript entry. */
export interface HostLauncher {
  readonly mode: 'built' | 'tsx';
  /** Why host processes run under tsx (mode 'tsx'). */
  readonly reason?: string;
  readonly build?: HostBuild;
  args(entry: string): string[];
}

/** `node --import tsx <entry>.ts`: compiles at run time; the fallback, and SANDBOX_HOST_BUILD=0. */
export function tsxLauncher(projectRoot: string, reason?: string): HostLauncher {
  return { mode: 'tsx', ...(reason ? { reason } : {}), args: (entry) => ['--import', 'tsx', resolve(projectRoot, entry)] };
}

/**
 * Builds (or reuses) these entries and returns a launcher that starts them from the build;
 * on any build problem a tsx launcher that says why. An entry outside the build, or whose build
 * has been pruned since, also starts under tsx.
 */
export async function prepareHostLauncher(
  projectRoot: string,
  entries: readonly string[],
  options: HostBuildOptions & { env?: NodeJS.ProcessEnv; sourceMaps?: boolean } = {},
): Promise<HostLauncher> {
  const env = options.env ?? process.env;
  if (env.SANDBOX_HOST_BUILD === '0') return tsxLauncher(projectRoot, 'SANDBOX_HOST_BUILD=0');
  let build: HostBuild;
  try {
    build = await buildHostEntries(projectRoot, entries, { cacheDir: options.cacheDir ?? defaultCacheDir(resolve(projectRoot), env) });
  } catch (e) {
    return tsxLauncher(projectRoot, `build failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const fallback = tsxLauncher(projectRoot);
  // Source maps, as tsx enables them: stack traces name .ts files and lines. Node then also reads
  // the maps node_modules ship (OpenTelemetry's), about 50 ms of CPU per process; measured.
  const flags = options.sourceMaps === false ? [] : ['--enable-source-maps'];
  return {
    mode: 'built',
    build,
    args(entry) {
      const built = build.entries.get(resolve(projectRoot, entry));
      if (!built || !existsSync(built)) return fallback.args(entry);
      touch(build.dir); // in use: not pruned while this sandbox may still restart from it
      return [...flags, built];
    },
  };
}
