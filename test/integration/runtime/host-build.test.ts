import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHostEntries, checkLoadOrder, prepareHostLauncher } from '../../../scripts/runtime/processes/host-build.ts';

/**
 * The host-process build (scripts/runtime/processes/host-build.ts) on a small project of its own:
 * built output behaves as the sources do (import.meta locations, lazy dynamic imports, .ts
 * lines in stack traces), builds are reused until a compiled byte changes, builders racing on
 * an empty cache all succeed with the same build, and every problem falls back to tsx.
 */
const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const HOST_BUILD = pathToFileURL(join(ROOT, 'scripts/runtime/processes/host-build.ts')).href;

let project: string;
let cacheDir: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(project, path)), { recursive: true });
  writeFileSync(join(project, path), text);
}

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'host-build-'));
  cacheDir = join(project, 'node_modules', '.cache', 'sandbox-build');
  // esbuild resolves from the project like the sandbox's own build does.
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules', 'esbuild'), join(project, 'node_modules', 'esbuild'));
  write('package.json', JSON.stringify({ type: 'module' }));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', allowImportingTsExtensions: true } }));
  write(
    'src/main.ts',
    [
      "import { where, dir, file, version } from './lib/where.ts';",
      "const loadedBefore = (globalThis as { lazyLoaded?: boolean }).lazyLoaded === true;",
      "const lazy = await import('./lazy.ts');",
      'console.log(JSON.stringify({ where, dir, file, version, loadedBefore, lazy: lazy.value }));',
      "if (process.argv[2] === 'throw') lazy.fail();",
    ].join('\n'),
  );
  write(
    'src/lib/where.ts',
    [
      "import { fileURLToPath } from 'node:url';",
      'export const where: string = import.meta.url;',
      'export const dir: string = import.meta.dirname;',
      'export const file: string = import.meta.filename;',
      "export const root = fileURLToPath(new URL('../../', import.meta.url));",
      "export const version = 'one';",
    ].join('\n'),
  );
  write(
    'src/lazy.ts',
    [
      '(globalThis as { lazyLoaded?: boolean }).lazyLoaded = true;',
      "export const value: number = 42;",
      'export function fail(): never {',
      "  throw new Error('boom from lazy');",
      '}',
    ].join('\n'),
  );
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

async function node(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd: tmpdir() });
}

describe('host build', () => {
  it('runs like the sources: import.meta is each source file’s own, dynamic imports stay lazy, stack traces name .ts lines', async () => {
    const build = await buildHostEntries(project, ['src/main.ts'], { cacheDir });
    expect(build.reused).toBe(false);
    const built = build.entries.get(join(project, 'src/main.ts'))!;
    expect(built.startsWith(cacheDir)).toBe(true);
    const { stdout } = await node([built]);
    const lib = join(project, 'src/lib/where.ts');
    expect(JSON.parse(stdout)).toEqual({ where: pathToFileURL(lib).href, dir: dirname(lib), file: lib, version: 'one', loadedBefore: false, lazy: 42 });

    const failed = await node(['--enable-source-maps', built, 'throw']).then(
      () => undefined,
      (e: { stderr: string }) => e.stderr,
    );
    expect(failed).toContain('boom from lazy');
    expect(failed).toMatch(/src\/lazy\.ts:4:9/);
  });

  it('reuses a build until a compiled byte changes, and rebuilds then', async () => {
    const first = await buildHostEntries(project, ['src/main.ts'], { cacheDir });
    const again = await buildHostEntries(project, ['src/main.ts'], { cacheDir });
    expect(again).toMatchObject({ reused: true, dir: first.dir });

    write('src/lib/where.ts', `${'export const where = import.meta.url; export const dir = 1, file = 2;'}\nexport const version = 'two';\n`);
    const changed = await buildHostEntries(project, ['src/main.ts'], { cacheDir });
    expect(changed.reused).toBe(false);
    expect(changed.dir).not.toBe(first.dir);
    expect(JSON.parse((await node([changed.entries.get(join(project, 'src/main.ts'))!])).stdout).version).toBe('two');
    expect((await buildHostEntries(project, ['src/main.ts'], { cacheDir })).reused).toBe(true);

    // A file the build no longer finds means a build attempt (here a failing one), never the stale output.
    rmSync(join(project, 'src/lazy.ts'));
    await expect(buildHostEntries(project, ['src/main.ts'], { cacheDir })).rejects.toThrow(/lazy\.ts/);
  });

  it('builders racing on an empty cache, in this process and in others, all succeed with the same build and leave no temporary files', async () => {
    const script = join(project, 'build.mts');
    writeFileSync(
      script,
      `import { buildHostEntries } from ${JSON.stringify(HOST_BUILD)};\n` +
        `const b = await buildHostEntries(${JSON.stringify(project)}, ['src/main.ts'], { cacheDir: ${JSON.stringify(cacheDir)} });\n` +
        'console.log(b.dir);\n',
    );
    const others = [1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', script], { cwd: ROOT }).then((r) => r.stdout.trim()));
    const here = [1, 2].map(() => buildHostEntries(project, ['src/main.ts'], { cacheDir }).then((b) => b.dir));
    const dirs = await Promise.all([...others, ...here]);
    expect(new Set(dirs).size).toBe(1);
    expect(existsSync(join(dirs[0]!, 'manifest.json'))).toBe(true);
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    const { stdout } = await node([join(dirs[0]!, 'src/main.mjs')]);
    expect(JSON.parse(stdout).lazy).toBe(42);
  });

  it('compiles the packages it is told to bundle into the build (CommonJS ones requiring builtins included), and keeps the others external', async () => {
    // Two CommonJS packages: one bundled (with an internal require and a builtin's), one not.
    write('node_modules/cjs-bundled/package.json', JSON.stringify({ name: 'cjs-bundled', main: 'index.js' }));
    write('node_modules/cjs-bundled/index.js', "const node_process = require('process');\nconst { twice } = require('./lib/twice.js');\nexports.answer = twice(21);\nexports.pid = node_process.pid;\n");
    write('node_modules/cjs-bundled/lib/twice.js', 'exports.twice = (n) => n * 2;\n');
    write('node_modules/cjs-external/package.json', JSON.stringify({ name: 'cjs-external', main: 'index.js' }));
    write('node_modules/cjs-external/index.js', "exports.name = 'external';\n");
    write('src/uses-packages.ts', "import { answer, pid } from 'cjs-bundled';\nimport { name } from 'cjs-external';\nconsole.log(JSON.stringify({ answer, pidMatches: pid === process.pid, name }));\n");

    const plain = await buildHostEntries(project, ['src/uses-packages.ts'], { cacheDir });
    const bundled = await buildHostEntries(project, ['src/uses-packages.ts'], { cacheDir, bundledPackages: ['cjs-bundled'] });
    // The bundled packages are part of what identifies a build.
    expect(bundled.reused).toBe(false);
    expect(bundled.dir).not.toBe(plain.dir);
    for (const build of [plain, bundled]) {
      const { stdout } = await node([build.entries.get(join(project, 'src/uses-packages.ts'))!]);
      expect(JSON.parse(stdout)).toEqual({ answer: 42, pidMatches: true, name: 'external' });
    }
    const output = (build: { dir: string }) =>
      readdirSync(build.dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => readFileSync(join(build.dir, f), 'utf8'))
        .join('\n');
    expect(output(plain)).toMatch(/from "cjs-bundled"/);
    expect(output(bundled)).not.toMatch(/from "cjs-bundled"/);
    expect(output(bundled)).toMatch(/from "cjs-external"/);
    // A bundled package's bytes are inputs: a change means a new build.
    expect((await buildHostEntries(project, ['src/uses-packages.ts'], { cacheDir, bundledPackages: ['cjs-bundled'] })).reused).toBe(true);
    write('node_modules/cjs-bundled/lib/twice.js', 'exports.twice = (n) => n * 3;\n');
    const changed = await buildHostEntries(project, ['src/uses-packages.ts'], { cacheDir, bundledPackages: ['cjs-bundled'] });
    expect(changed.reused).toBe(false);
    expect(JSON.parse((await node([changed.entries.get(join(project, 'src/uses-packages.ts'))!])).stdout).answer).toBe(63);
  });

  it('rejects a build that would load a package earlier than the source does', () => {
    // As esbuild would describe a split build where a chunk the entry imports statically pulled in node:http.
    const metafile = {
      inputs: {
        'src/main.ts': { bytes: 1, imports: [{ path: 'src/lazy.ts', kind: 'dynamic-import', original: './lazy.ts' }] },
        'src/lazy.ts': { bytes: 1, imports: [{ path: 'node:http', kind: 'import-statement', external: true }] },
      },
      outputs: {
        'out/src/main.mjs': { bytes: 1, entryPoint: 'src/main.ts', inputs: {}, exports: [], imports: [{ path: 'out/chunks/chunk-A.mjs', kind: 'import-statement' }] },
        'out/chunks/chunk-A.mjs': { bytes: 1, inputs: { 'src/lazy.ts': { bytesInOutput: 1 } }, exports: [], imports: [{ path: 'node:http', kind: 'import-statement', external: true }] },
      },
    } as unknown as Metafile;
    expect(() => checkLoadOrder(metafile, project, [join(project, 'src/main.ts')])).toThrow(/load http, src\/lazy\.ts at start of src\/main\.ts/);
    // A module moved early is refused even when it imports nothing.
    const chunk = metafile.outputs['out/chunks/chunk-A.mjs']!;
    chunk.imports = [];
    expect(() => checkLoadOrder(metafile, project, [join(project, 'src/main.ts')])).toThrow(/load src\/lazy\.ts at start/);
    chunk.imports = [{ path: 'node:http', kind: 'import-statement', external: true }];
    // The same package behind a dynamic import in the output too: accepted.
    (metafile.outputs['out/src/main.mjs']!.imports[0] as { kind: string }).kind = 'dynamic-import';
    expect(checkLoadOrder(metafile, project, [join(project, 'src/main.ts')]).get(join(project, 'src/main.ts'))).toBe(join(project, 'out/src/main.mjs'));
  });

  it('falls back to tsx with a reason: a use of import.meta it cannot keep, a cache outside the project, SANDBOX_HOST_BUILD=0', async () => {
    const main = join(project, 'src/main.ts');
    const ok = await prepareHostLauncher(project, ['src/main.ts'], { cacheDir, env: {} });
    expect(ok.mode).toBe('built');
    expect(ok.args(main)).toEqual(['--enable-source-maps', ok.build!.entries.get(main)]);
    // An entry outside the build starts under tsx.
    expect(ok.args(join(project, 'other.ts'))).toEqual(['--import', 'tsx', join(project, 'other.ts')]);

    const off = await prepareHostLauncher(project, ['src/main.ts'], { cacheDir, env: { SANDBOX_HOST_BUILD: '0' } });
    expect(off).toMatchObject({ mode: 'tsx', reason: 'SANDBOX_HOST_BUILD=0' });
    expect(off.args(main)).toEqual(['--import', 'tsx', main]);

    const elsewhere = mkdtempSync(join(tmpdir(), 'outside-'));
    const outside = await prepareHostLauncher(project, ['src/main.ts'], { cacheDir: elsewhere, env: {} }).finally(() => rmSync(elsewhere, { recursive: true, force: true }));
    expect(outside.mode).toBe('tsx');
    expect(outside.reason).toMatch(/packages do not resolve from the build cache/);

    write('src/lazy.ts', "export const value = 42; export const fail = () => import.meta.resolve('./x.ts');\n");
    const unsupported = await prepareHostLauncher(project, ['src/main.ts'], { cacheDir, env: {} });
    expect(unsupported.mode).toBe('tsx');
    expect(unsupported.reason).toMatch(/import\.meta.*src\/lazy\.ts/);
  });
});
