import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ModelArtifact } from '../model.ts';
import { DEPLOYMENTS_FILE, ModelNotFoundError, SAFE_VERSION, versionsFromNames, type DeploymentState, type ModelRegistryBackend } from './backend.ts';

/**
 * A registry in an S3 bucket (LocalStack in the docker runtime, or real S3), with the local
 * directory's layout as object keys under an optional prefix: <version>.json per model and
 * deployments.json, the active-version pointer with its history. A PUT replaces an object
 * whole, so readers never see a torn deployment record.
 */
export class S3Registry implements ModelRegistryBackend {
  readonly description: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {
    this.description = `S3 bucket ${bucket}${prefix ? ` (prefix ${prefix})` : ''}`;
  }

  async listVersions(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return versionsFromNames(names);
  }

  async getModel(version: string): Promise<ModelArtifact> {
    if (!SAFE_VERSION.test(version)) throw new ModelNotFoundError(`invalid model version "${version}"`);
    const text = await this.read(`${version}.json`);
    if (text === null) throw new ModelNotFoundError(`model version "${version}" is not in the registry (${this.description})`);
    return JSON.parse(text) as ModelArtifact;
  }

  async putModel(model: ModelArtifact): Promise<void> {
    await this.write(`${model.version}.json`, JSON.stringify(model, null, 1));
  }

  async readDeployments(): Promise<DeploymentState | null> {
    const text = await this.read(DEPLOYMENTS_FILE);
    return text === null ? null : (JSON.parse(text) as DeploymentState);
  }

  async writeDeployments(state: DeploymentState): Promise<void> {
    await this.write(DEPLOYMENTS_FILE, JSON.stringify(state, null, 1));
  }

  /**
   * The object's text, or null when the key does not exist. Anything else (no such bucket, the
   * endpoint unreachable) throws: a registry that cannot be read must never look empty, or
   * start-up would redeploy the default over the recorded deployment.
   */
  private async read(name: string): Promise<string | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + name }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (e) {
      if (isMissingKey(e)) return null;
      throw e;
    }
  }

  private async write(name: string, text: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + name, Body: text, ContentType: 'application/json' }));
  }
}

/** NoSuchKey (GetObject's error), but not NoSuchBucket, which is a 404 too. */
export function isMissingKey(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.name ?? err.Code;
  if (code === 'NoSuchBucket') return false;
  return code === 'NoSuchKey' || code === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}
