import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** First of the candidate names found as an executable on PATH, or null. */
export function findBinary(candidates: readonly string[], path = process.env.PATH ?? ''): string | null {
  for (const name of candidates) {
    if (name.includes('/')) {
      if (isExecutable(name)) return name;
      continue;
    }
    for (const dir of path.split(delimiter)) {
      if (!dir) continue;
      const full = join(dir, name);
      if (isExecutable(full)) return full;
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
