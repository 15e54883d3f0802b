import type { ModelArtifact } from '../model.ts';

/** Which version serves, and every deployment so far (newest last). */
export interface DeploymentState {
  current: string;
  history: { version: string; at: string; reason: string }[];
}

/**
 * Where model versions and the deployment record live: a local directory (the default,
 * local-directory.ts) or an S3 bucket (s3.ts; LocalStack in the docker runtime), chosen from the
 * environment by select.ts. Both keep the same layout: <version>.json per model, deployments.json.
 */
export interface ModelRegistryBackend {
  readonly description: string;
  listVersions(): Promise<string[]>;
  getModel(version: string): Promise<ModelArtifact>;
  putModel(model: ModelArtifact): Promise<void>;
  readDeployments(): Promise<DeploymentState | null>;
  writeDeployments(state: DeploymentState): Promise<void>;
}

export class ModelNotFoundError extends Error {}

/** `<version>.json`, the name of a model version's file (or object key) in either backend. */
export const VERSION_FILE = /^(v\d+[\w.-]*)\.json$/;
export const DEPLOYMENTS_FILE = 'deployments.json';
/** What a version may look like when asked for by name (no path tricks). */
export const SAFE_VERSION = /^[\w.-]+$/;

/** Versions out of file names (others ignored), in numeric order: v2 before v10. */
export function versionsFromNames(names: readonly string[]): string[] {
  return names
    .map((n) => VERSION_FILE.exec(n)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
