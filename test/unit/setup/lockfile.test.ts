import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { nodeSatisfies, rangeFloors } from '../../../scripts/setup/node-range.mjs';

/**
 * What `npm ci` needs on every platform a user or CI runner has, checked on the committed files
 * (no install): npm only installs what the lockfile records, so a platform package left out of it
 * (npm/cli#4828: a lockfile written over an existing node_modules keeps only that machine's
 * rollup/esbuild binaries) fails `npm ci` as "not in sync" or leaves vitest without its binary.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
type LockEntry = {
  version?: string;
  optionalDependencies?: Record<string, string>;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
const entries = Object.entries(lock.packages).filter(([path]) => path !== '');

/** Where npm would look for `name` required from the package at `path` (its own node_modules, then up). */
function resolve(path: string, name: string): string | undefined {
  let dir = path;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

describe('package-lock.json', () => {
  it('is a v3 lockfile that records every platform package an optional dependency names', () => {
    expect(lock.lockfileVersion).toBe(3);
    const missing = entries.flatMap(([path, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => resolve(path, name) === undefined)
        .map((name) => `${path} → ${name}`),
    );
    expect(missing, 'regenerate the lockfile without node_modules: rm -rf node_modules package-lock.json && npm install').toEqual([]);
  });

  it('holds the platform binaries of the build tools for Linux glibc/musl and macOS, x64 and arm64', () => {
    const platforms = (prefix: string) => entries.filter(([path]) => path.startsWith(`node_modules/${prefix}`)).map(([, e]) => `${e.os}-${e.cpu}${e.libc ? `-${e.libc}` : ''}`);
    for (const prefix of ['@esbuild/', '@rolldown/binding-']) {
      const have = platforms(prefix);
      for (const want of ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64']) {
        expect(have.some((p) => p.startsWith(want)), `${prefix}* for ${want}`).toBe(true);
      }
    }
    const rolldown = platforms('@rolldown/binding-');
    for (const want of ['linux-x64-glibc', 'linux-x64-musl', 'linux-arm64-glibc', 'linux-arm64-musl']) expect(rolldown).toContain(want);
  });

  it("records the versions package.json asks for (what `npm ci`'s sync check compares)", () => {
    const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
    const off = Object.entries(wanted).filter(([name, range]) => {
      const v = lock.packages[`node_modules/${name}`]?.version;
      return !v || !semver.satisfies(v, range);
    });
    expect(off).toEqual([]);
  });
});

describe('engines.node', () => {
  it('is true: the lowest version of every alternative satisfies what each locked package declares', () => {
    const floors = rangeFloors(pkg.engines.node);
    expect(floors.length).toBeGreaterThan(1); // more than one LTS line
    const conflicts = entries.flatMap(([path, entry]) => {
      const needs = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!needs) return [];
      return floors.filter((v) => !semver.satisfies(v, needs)).map((v) => `${path} needs node ${needs}, not ${v}`);
    });
    expect(conflicts).toEqual([]);
  });

  it('is tested at its lowest: .nvmrc (what CI runs) is the floor of the range', () => {
    const nvmrc = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
    expect(rangeFloors(pkg.engines.node)).toContain(nvmrc);
    expect(nodeSatisfies(nvmrc, pkg.engines.node)).toBe(true);
  });

  it('the bootstrap refuses what the range refuses, and accepts each LTS line', () => {
    expect(nodeSatisfies('20.20.2', pkg.engines.node)).toBe(false);
    expect(nodeSatisfies('22.21.9', pkg.engines.node)).toBe(false);
    expect(nodeSatisfies('23.11.0', pkg.engines.node)).toBe(false);
    for (const v of ['22.22.0', '22.23.5', '24.0.0', '24.22.3', '26.12.1', '27.0.0']) expect(nodeSatisfies(v, pkg.engines.node), v).toBe(true);
    for (const v of ['20.20.2', '22.21.9', '22.22.0', '23.11.0', '24.1.0', '26.0.0']) {
      expect(nodeSatisfies(v, pkg.engines.node), v).toBe(semver.satisfies(v, pkg.engines.node));
    }
  });
});

describe('install scripts', () => {
  it('every locked package with an install script is decided in allowScripts, and only esbuild runs one', () => {
    const withScripts = [...new Set(entries.filter(([, e]) => e.hasInstallScript).map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 13)))];
    const decided = pkg.allowScripts ?? {};
    expect(withScripts.filter((name) => !(name in decided))).toEqual([]);
    expect(Object.entries(decided).filter(([, allowed]) => allowed).map(([name]) => name)).toEqual(['esbuild']);
  });
});
