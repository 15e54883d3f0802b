import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelArtifact } from '../model.ts';
import type { ModelRegistryBackend } from './backend.ts';

const SHIPPED_MODELS = join(dirname(fileURLToPath(import.meta.url)), '..', 'models');

/** An empty registry gets the versions trained and committed in this repo. */
export async function seedRegistry(registry: ModelRegistryBackend): Promise<void> {
  if ((await registry.listVersions()).length > 0) return;
  for (const name of await readdir(SHIPPED_MODELS)) {
    if (!/^v\d+\.json$/.test(name)) continue;
    await registry.putModel(JSON.parse(await readFile(join(SHIPPED_MODELS, name), 'utf8')) as ModelArtifact);
  }
}
