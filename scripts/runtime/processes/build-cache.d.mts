/** A complete build: its directory and source entry (absolute) → built entry (absolute .mjs). */
export interface CachedBuild {
  dir: string;
  entries: Map<string, string>;
}

export const FORMAT: string;
export function defaultCacheDir(projectRoot: string, env?: NodeJS.ProcessEnv): string;
export const CLI_BUNDLED_PACKAGES: readonly string[];
export function buildKey(root: string, absEntries: readonly string[], bundledPackages?: readonly string[]): string;
export function indexFileFor(cacheDir: string, key: string): string;
export function buildId(key: string, root: string, contents: ReadonlyMap<string, Buffer>): string;
export function reuseBuild(cacheDir: string, root: string, absEntries: readonly string[], key?: string): CachedBuild | undefined;
export function openBuild(dir: string, root: string, absEntries: readonly string[]): CachedBuild | undefined;
export function touch(dir: string): void;
