// The content-addressed build cache of host-build.ts, the part that decides whether a build can
// be reused. Plain JavaScript because bin/sandbox.mjs reads it before anything can compile
// TypeScript: a CLI whose sources did not change starts from its build with plain `node`.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';

/** Bump when the build options or output layout change. */
export const FORMAT = 'host-build-2';

/** <projectRoot>/node_modules/.cache/sandbox-build, or SANDBOX_BUILD_CACHE_DIR. */
export function defaultCacheDir(projectRoot, env = process.env) {
  return env.SANDBOX_BUILD_CACHE_DIR || join(projectRoot, 'node_modules', '.cache', 'sandbox-build');
}

/**
 * Packages bundled into the CLI's build (bin/sandbox.mjs; the package's dist/) rather than loaded
 * from node_modules: yaml alone is some 75 CommonJS files, about 100 ms of loading in every
 * background sandbox's start (`up --detach`). Only in the CLI's build: the host processes' builds
 * keep every package external (load order, see host-build.ts).
 */
export const CLI_BUNDLED_PACKAGES = ['yaml', 'bcryptjs'];

/**
 * What identifies a build's options: format, esbuild and Node versions, project, entries, and the
 * packages bundled into it.
 */
export function buildKey(root, absEntries, bundledPackages = []) {
  const require = createRequire(join(root, 'package.json'));
  const esbuildVersion = JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
  const bundled = bundledPackages.length > 0 ? [`bundled:${[...bundledPackages].sort().join(',')}`] : [];
  return sha256([FORMAT, esbuildVersion, process.version.split('.')[0], root, ...absEntries, ...bundled].join('\0'));
}

/** The index of the last build for these options: its id and every file it compiled. */
export function indexFileFor(cacheDir, key) {
  return join(cacheDir, `index-${key.slice(0, 24)}.json`);
}

/** The build id: the options' key and every compiled file's bytes (plus tsconfig.json). */
export function buildId(key, root, contents) {
  const h = createHash('sha256').update(key);
  // (path.relative() for each of a build's ~200 inputs costs several ms of every CLI start: inputs
  // inside the root, all of them, are sliced, to the same string.)
  const inRoot = `${root}${sep}`;
  for (const path of [...contents.keys()].sort()) {
    const rel = path.startsWith(inRoot) ? path.slice(inRoot.length) : relative(root, path);
    h.update('\0').update(rel).update('\0').update(createHash('sha256').update(contents.get(path)).digest('hex'));
  }
  // tsconfig.json changes how TypeScript compiles (esbuild reads it).
  const tsconfig = join(root, 'tsconfig.json');
  if (existsSync(tsconfig)) h.update('\0tsconfig\0').update(readFileSync(tsconfig));
  return h.digest('hex').slice(0, 32);
}

/**
 * The last build of these entries when none of its inputs changed since (every input reread
 * and hashed: no build tool runs), else undefined.
 */
export function reuseBuild(cacheDir, root, absEntries, key = buildKey(root, absEntries)) {
  let index;
  try {
    index = JSON.parse(readFileSync(indexFileFor(cacheDir, key), 'utf8'));
  } catch {
    return undefined;
  }
  const contents = new Map();
  for (const input of index.inputs) {
    try {
      contents.set(input, readFileSync(input));
    } catch {
      return undefined; // gone: rebuild
    }
  }
  if (buildId(key, root, contents) !== index.build) return undefined;
  return openBuild(join(cacheDir, index.build), root, absEntries);
}

/** A build directory's entries (source entry → built file), if it is complete. */
export function openBuild(dir, root, absEntries) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT) return undefined;
  const entries = new Map();
  for (const e of absEntries) {
    const built = manifest.entries[relative(root, e)];
    if (!built || !existsSync(join(dir, built))) return undefined;
    entries.set(e, resolve(dir, built));
  }
  touch(dir);
  return { dir, entries };
}

/** Marks a build as in use, for pruning. */
export function touch(dir) {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // read-only cache, or pruned: still usable / rebuilt next time
  }
}

function sha256(s) {
  return createHash('sha256').update(s).digest('hex');
}
