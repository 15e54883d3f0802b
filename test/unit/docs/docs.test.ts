import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../scripts/core/errors.ts';
import { FAULT_TYPES } from '../../../scripts/faults/catalog.ts';
import { reporterNames } from '../../../scripts/reporters/index.ts';
import { PROJECT_ROOT } from '../../../scripts/runtime/paths.ts';
import { services, stackComponents } from '../../../scripts/stack/catalog.ts';

const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), 'utf8');
const contracts = read('docs/contracts.md');
const architecture = read('docs/architecture.md');

/** The docs a newcomer gets with the clone must name what the code has: a new command, fault or code fails here until documented. */
describe('docs/contracts.md names what the code has', () => {
  it('every CLI command', () => {
    const commands = [...read('scripts/cli/main.ts').matchAll(/^program\s*\n\s*\.command\('([\w-]+)/gm)].map((m) => m[1]!);
    const groups = [...read('scripts/cli/main.ts').matchAll(/program\.command\('([\w-]+)'\)/g)].map((m) => m[1]!);
    const visible = [...commands.filter((c) => c !== 'host'), ...groups];
    expect(visible.length).toBeGreaterThanOrEqual(11);
    for (const c of visible) expect(contracts, c).toMatch(new RegExp(`\\| \`${c}[ \`]`));
  });

  it('every fault type, reporter, exit code and error code', () => {
    for (const t of FAULT_TYPES) expect(contracts, t).toContain(`- \`${t} {`);
    expect(contracts).toContain(`(${reporterNames.join(', ')}; default terminal`);
    for (const code of Object.values(ExitCode)) expect(contracts, String(code)).toMatch(new RegExp(`(^|· )${code} `, 'm'));
    const codes = [...read('scripts/core/errors.ts').matchAll(/^ {2}\| '([A-Z_]+)'/gm)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(10);
    for (const c of codes) expect(contracts, c).toContain(`\`${c}\``);
  });

  it('every timeline event kind and outcome', () => {
    const kinds = [...read('scripts/scenario/timeline.ts').matchAll(/kind: '([a-z-]+)'/g)].map((m) => m[1]!);
    expect(kinds.length).toBeGreaterThan(15);
    for (const k of kinds) expect(contracts, k).toContain(`\`${k}\``);
    for (const o of ['passed', 'failed', 'errored', 'skipped']) expect(contracts).toContain(`\`${o}\``);
  });
});

describe('docs/architecture.md', () => {
  it('lists every component of the catalog with its default port', () => {
    for (const c of stackComponents) expect(architecture, c.name).toMatch(new RegExp(`\\| ${c.name} \\| ${c.image?.name}:${c.image?.tag} \\|[^\\n]*\\| ${c.ports[c.primaryPort]}`));
    for (const s of services) expect(architecture, s.name).toMatch(new RegExp(`\\| ${s.name} \\|[^\\n]*\\| ${s.port} \\|`));
  });
});

it('nothing in the repository cites design.md, which lives outside it', () => {
  // Sources and docs only: no dependencies, run state, reports or hidden folders.
  const skip = new Set(['node_modules', 'reports']);
  const citing: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.name.startsWith('.') || skip.has(e.name)) continue;
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|mjs|js|md|ya?ml|json)$/.test(e.name) && path !== 'test/unit/docs/docs.test.ts' && read(path).includes('design.md')) citing.push(path);
    }
  };
  walk('');
  expect(citing).toEqual([]);
});
