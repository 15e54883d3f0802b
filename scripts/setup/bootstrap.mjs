#!/usr/bin/env node
// Runs before `npm run sandbox`, `npm test` and `npm run bench` on a fresh clone: installs npm
// dependencies when they are missing or stale, then the native binaries. Plain JavaScript with
// no dependencies, because it must run before any are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  // `npm install` rather than `npm ci`: it installs the locked versions just the same, but
  // tolerates registries (mirrors) that serve only this platform's optional packages, where
  // `npm ci` refuses a lockfile that lacks the other platforms' entries.
  console.log('setup: installing npm dependencies (npm install, locked versions)...');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('setup: `npm install` failed; fix the error above and run it again');
    process.exit(3);
  }
}

const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/setup/install-binaries.ts')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 3);
