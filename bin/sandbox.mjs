#!/usr/bin/env node
// The `sandbox` command. The sandbox is written in TypeScript and runs through tsx, so there is
// no build step between editing a scenario engine file and running it.
import { register } from 'tsx/esm/api';

register();
await import('../scripts/cli/main.ts');
