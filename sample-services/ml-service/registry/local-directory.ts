import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelArtifact } from '../model.ts';
import { DEPLOYMENTS_FILE as DEPLOYMENTS, ModelNotFoundError, SAFE_VERSION, versionsFromNames, type DeploymentState, type ModelRegistryBackend } from './backend.ts';

/** A registry in a directory: <version>.json per model plus deployments.json. */
export class LocalDirectoryRegistry implements ModelRegistryBackend {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `local directory ${dir}`;
  }

  async listVersions(): Promise<string[]> {
    return versionsFromNames(await readdir(this.dir).catch(() => [] as string[]));
  }

  async getModel(version: string): Promise<ModelArtifact> {
    if (!SAFE_VERSION.test(version)) throw new ModelNotFoundError(`invalid model version "${version}"`);
    const text = await readFile(join(this.dir, `${version}.json`), 'utf8').catch(() => {
      throw new ModelNotFoundError(`model version "${version}" is not in the registry (${this.description})`);
    });
    return JSON.parse(text) as ModelArtifact;
  }

  async putModel(model: ModelArtifact): Promise<void> {
    await this.writeAtomically(`${model.version}.json`, JSON.stringify(model, null, 1));
  }

  async readDeployments(): Promise<DeploymentState | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, DEPLOYMENTS), 'utf8')) as DeploymentState;
    } catch {
      return null;
    }
  }

  async writeDeployments(state: DeploymentState): Promise<void> {
    await this.writeAtomically(DEPLOYMENTS, JSON.stringify(state, null, 1));
  }

  /** A crash mid-write must not leave a torn file for the next start to choke on. */
  private async writeAtomically(name: string, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, name));
  }
}
