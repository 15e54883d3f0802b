#!/usr/bin/env node
// The `sandbox` command. It runs from built JavaScript: an installed package's dist/ (built by
// `npm pack`), or in a checkout a build of the CLI's sources in node_modules/.cache/sandbox-build,
// reused while no source byte changed and rebuilt (about half a second, esbuild) when one did.
// Starting under tsx instead costs every command about half a second of compiling.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeSatisfies } from '../scripts/setup/node-range.mjs';

const rootUrl = new URL('../', import.meta.url);

// Checked before anything loads: on an unsupported Node the dependencies fail in obscure ways.
const { engines } = JSON.parse(readFileSync(new URL('package.json', rootUrl), 'utf8'));
if (!nodeSatisfies(process.versions.node, engines.node)) {
  console.error(`error[UNSUPPORTED_NODE]: Node ${process.versions.node} is not supported; the sandbox needs Node ${engines.node}\n  hint: install a current LTS line (\`nvm install\` in the project folder reads .nvmrc)`);
  process.exit(3);
}

const { cli: entry, host } = await cliEntry();
// A built CLI: `up --detach` starts its background sandbox from the built host entry, which loads
// only the sandbox's modules, not the CLI (engine/detached-sandbox.ts).
if (entry.endsWith('.mjs')) globalThis[Symbol.for('observability-sandbox.cli-entry')] = fileURLToPath(entry);
if (host) globalThis[Symbol.for('observability-sandbox.host-entry')] = fileURLToPath(host);
await import(entry);

/**
 * The URLs of the CLI's main module to run and of the built detached-sandbox entry beside it
 * (engine/host-main.ts; none when the CLI runs under tsx).
 */
async function cliEntry() {
  // An installed package (no .git): dist/, built when it was packed.
  const dist = new URL('dist/scripts/cli/main.mjs', rootUrl);
  if (existsSync(dist) && !existsSync(new URL('.git', rootUrl))) {
    const host = new URL('dist/scripts/engine/host-main.mjs', rootUrl);
    return { cli: dist.href, host: existsSync(host) ? host.href : undefined };
  }

  const root = resolve(fileURLToPath(rootUrl));
  const entry = resolve(root, 'scripts/cli/main.ts');
  // Built together: one build check, chunks shared.
  const entries = [entry, resolve(root, 'scripts/engine/host-main.ts')];
  const fromBuild = (built) => ({ cli: pathToFileURL(built.entries.get(entries[0])).href, host: pathToFileURL(built.entries.get(entries[1])).href });
  const useBuild = process.env.SANDBOX_HOST_BUILD !== '0';
  if (useBuild) {
    const { buildKey, CLI_BUNDLED_PACKAGES, defaultCacheDir, reuseBuild } = await import('../scripts/runtime/processes/build-cache.mjs');
    const built = reuseBuild(resolve(defaultCacheDir(root)), root, entries, buildKey(root, entries, CLI_BUNDLED_PACKAGES));
    if (built) return fromBuild(built);
  }
  // A source changed (or no build yet): tsx runs the build, or the sources when it fails.
  const { register } = await import('tsx/esm/api');
  register();
  if (useBuild) {
    try {
      const { buildHostEntries, CLI_BUNDLED_PACKAGES } = await import('../scripts/runtime/processes/host-build.ts');
      return fromBuild(await buildHostEntries(root, entries, { bundledPackages: CLI_BUNDLED_PACKAGES }));
    } catch (e) {
      console.error(`note: the CLI runs under tsx (slower start): its build failed: ${e.message.split('\n')[0]}`);
    }
  }
  return { cli: pathToFileURL(entry).href, host: undefined };
}
