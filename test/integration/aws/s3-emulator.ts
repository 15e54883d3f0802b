import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../../../sample-services/shared/aws/client-config.ts';

/**
 * An S3-compatible HTTP server for the S3 code paths, in the test process: a stand-in for
 * LocalStack's S3, which needs a Docker engine and an image these machines cannot pull (the
 * docker suite checks the same paths against LocalStack where it runs). It speaks the REST API
 * the AWS SDK sends with path-style addressing (what the services use against an emulator), for
 * exactly the calls ml-service makes: ListObjectsV2 (prefix, continuation), GetObject and
 * PutObject, with S3's XML errors (NoSuchBucket, NoSuchKey). Anything else answers 501
 * NotImplemented, so a new call fails loudly here instead of passing against a guess.
 * Like LocalStack it takes any credentials and does not check signatures.
 */
export interface S3Emulator {
  endpoint: string;
  port: number;
  /** The AWS_* environment a sample service needs to use it, as scripts/runtime/service-env/aws.ts writes it. */
  env: Record<string, string>;
  client: S3Client;
  close(): Promise<void>;
}

interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

/** ListObjectsV2 pages hold this many keys at most, as S3's default MaxKeys. */
const MAX_KEYS = 1000;

export async function startS3Emulator(options: { buckets: string[]; port?: number }): Promise<S3Emulator> {
  const buckets = new Map(options.buckets.map((name) => [name, new Map<string, StoredObject>()]));
  const server = createServer((req, res) => {
    handle(buckets, req, res).catch((err: unknown) => sendError(res, 500, 'InternalError', String(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const client = new S3Client(awsClientConfig(env));
  return {
    endpoint,
    port,
    env,
    client,
    async close() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(buckets: Map<string, Map<string, StoredObject>>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://s3.local');
  const [, bucketName = '', ...keyParts] = url.pathname.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const bucket = buckets.get(decodeURIComponent(bucketName));
  const body = await readBody(req);
  if (!bucket) return sendError(res, 404, 'NoSuchBucket', `The specified bucket does not exist: ${bucketName}`);

  if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
    const prefix = url.searchParams.get('prefix') ?? '';
    const after = url.searchParams.get('continuation-token') ?? '';
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, MAX_KEYS);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = bucket.get(k)!;
        return `<Contents><Key>${xml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    return sendXml(
      res,
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucketName)}</Name><Prefix>${xml(prefix)}</Prefix>` +
        `<KeyCount>${page.length}</KeyCount><MaxKeys>${MAX_KEYS}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
        (truncated ? `<NextContinuationToken>${xml(page.at(-1)!)}</NextContinuationToken>` : '') +
        `${contents}</ListBucketResult>`,
    );
  }
  if (req.method === 'GET' && key) {
    const o = bucket.get(key);
    if (!o) return sendError(res, 404, 'NoSuchKey', `The specified key does not exist: ${key}`);
    res.writeHead(200, { 'content-type': o.contentType, 'content-length': o.body.length, etag: o.etag, 'last-modified': o.lastModified.toUTCString() });
    res.end(o.body);
    return;
  }
  // The SDK names the operation in `x-id`; any other parameter asks for a sub-resource (acl, tagging...).
  if (req.method === 'PUT' && key && [...url.searchParams.keys()].every((k) => k === 'x-id')) {
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    bucket.set(key, { body, contentType: req.headers['content-type'] ?? 'binary/octet-stream', etag, lastModified: new Date() });
    res.writeHead(200, { etag });
    res.end();
    return;
  }
  sendError(res, 501, 'NotImplemented', `the test S3 stand-in does not implement ${req.method} ${req.url}`);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`);
}

function sendXml(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
