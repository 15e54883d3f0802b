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

const entry = await cliEntry();
// A built CLI: `up --detach` starts its background host from it directly (engine/detached-sandbox.ts).
if (entry.endsWith('.mjs')) globalThis[Symbol.for('observability-sandbox.cli-entry')] = fileURLToPath(entry);
await import(entry);

/** The URL of the CLI's main module to run. */
async function cliEntry() {
  // An installed package (no .git): dist/, built when it was packed.
  const dist = new URL('dist/scripts/cli/main.mjs', rootUrl);
  if (existsSync(dist) && !existsSync(new URL('.git', rootUrl))) return dist.href;

  const root = resolve(fileURLToPath(rootUrl));
  const entry = resolve(root, 'scripts/cli/main.ts');
  const useBuild = process.env.SANDBOX_HOST_BUILD !== '0';
  if (useBuild) {
    const { defaultCacheDir, reuseBuild } = await import('../scripts/runtime/processes/build-cache.mjs');
    const built = reuseBuild(resolve(defaultCacheDir(root)), root, [entry]);
    if (built) return pathToFileURL(built.entries.get(entry)).href;
  }
  // A source changed (or no build yet): tsx runs the build, or the sources when it fails.
  const { register } = await import('tsx/esm/api');
  register();
  if (useBuild) {
    try {
      const { buildHostEntries } = await import('../scripts/runtime/processes/host-build.ts');
      const built = await buildHostEntries(root, [entry]);
      return pathToFileURL(built.entries.get(entry)).href;
    } catch (e) {
      console.error(`note: the CLI runs under tsx (slower start): its build failed: ${e.message.split('\n')[0]}`);
    }
  }
  return pathToFileURL(entry).href;
}
