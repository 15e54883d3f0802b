import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SandboxError } from '../../core/errors.ts';
import { k6Image } from './image.ts';

export const K6_INSTALL_URL = 'https://grafana.com/docs/k6/latest/set-up/install-k6/';

/** The `k6` executable on PATH, or null. */
export function findK6(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'k6.exe' : 'k6');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** No k6 binary, and not the docker runtime (which would run the load in the k6 image instead). */
export function k6MissingError(): SandboxError {
  return new SandboxError('BINARY_MISSING', 'load.engine is k6, but the k6 binary was not found on PATH', {
    hint:
      `install k6 (${K6_INSTALL_URL}), run the sandbox on the docker runtime (\`--runtime docker\`), where k6 runs in the ` +
      `${k6Image()} image, or use \`engine: builtin\` under \`load\` in the scenario`,
  });
}
