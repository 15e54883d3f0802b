import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'observability-sandbox';

/**
 * The package root (compose/, scenarios/, runbooks/, sample-services/...), whatever the working
 * directory and wherever this code runs from: the sources, the CLI's build cache under
 * node_modules/.cache, or the built dist/ of an installed package. Found by walking up to our
 * own package.json, so no module depends on where a bundler put it. Every path the sandbox
 * reads from the package derives from this one constant.
 */
export const PROJECT_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The package's version (package.json), for `sandbox --version` and reports. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return `${dir}/`;
      } catch {
        // not ours (unreadable or not JSON): keep looking
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
  }
}
