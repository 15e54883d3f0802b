#!/usr/bin/env node
// Runs before `npm run sandbox`, `npm test` and `npm run bench` on a fresh clone: checks the Node
// version, installs npm dependencies when they are missing or stale, then the native binaries.
// Plain JavaScript with no dependencies, because it must run before any are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeSatisfies } from './node-range.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');

const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
if (!nodeSatisfies(process.versions.node, range)) {
  console.error(
    `setup: Node ${process.versions.node} is not supported; this project needs Node ${range} ` +
      `(tested on ${readFileSync(join(root, '.nvmrc'), 'utf8').trim()}, the lowest supported). ` +
      'Install a current LTS line (e.g. `nvm install` in this folder reads .nvmrc) and run the command again.',
  );
  process.exit(3);
}

if (!existsSync(installed) || (existsSync(lock) && statSync(installed).mtimeMs < statSync(lock).mtimeMs)) {
  // `npm ci` installs exactly what package-lock.json records and never rewrites it, so a fresh
  // clone stays clean; it refuses a lockfile out of sync with package.json, which is the error a
  // CI user would get too. Without a lockfile there is nothing to be exact about.
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  console.log(`setup: installing npm dependencies (npm ${args[0]})...`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`setup: \`npm ${args[0]}\` failed; fix the error above and run it again`);
    process.exit(3);
  }
}

const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/setup/install-binaries.ts')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 3);
