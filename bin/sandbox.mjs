#!/usr/bin/env node
// The `sandbox` command. The sandbox is written in TypeScript and runs through tsx, so there is
// no build step between editing a scenario engine file and running it.
import { readFileSync } from 'node:fs';
import { nodeSatisfies } from '../scripts/setup/node-range.mjs';

// Checked before anything loads: on an unsupported Node the dependencies fail in obscure ways.
const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (!nodeSatisfies(process.versions.node, engines.node)) {
  console.error(`error[UNSUPPORTED_NODE]: Node ${process.versions.node} is not supported; the sandbox needs Node ${engines.node}\n  hint: install a current LTS line (\`nvm install\` in the project folder reads .nvmrc)`);
  process.exit(3);
}

const { register } = await import('tsx/esm/api');
register();
await import('../scripts/cli/main.ts');
