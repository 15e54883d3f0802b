import type { ModelArtifact } from '../model.ts';

/** Which version serves, and every deployment so far (newest last). */
export interface DeploymentState {
  current: string;
  history: { version: string; at: string; reason: string }[];
}

/**
 * Where model versions and the deployment record live. The native runtime uses a local
 * directory; the docker runtime will add an S3 (LocalStack) backend behind the same interface.
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
