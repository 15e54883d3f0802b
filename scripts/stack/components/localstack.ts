import type { StackComponentSpec } from '../types.ts';

/** Set it to run another image that answers on 4566 (a newer LocalStack with a token, Floci, MiniStack). */
export const LOCALSTACK_IMAGE_ENV = 'SANDBOX_LOCALSTACK_IMAGE';

export const localstack: StackComponentSpec = {
  name: 'localstack',
  // What uses it: Alertmanager's `sns` receiver (compose/alertmanager/alertmanager.yml), ml-service's
  // model registry in S3 and the services' CloudWatch metrics (the env: scripts/runtime/service-env/aws.ts).
  description: 'AWS emulation (SNS, SQS, S3, CloudWatch): Alertmanager’s SNS receiver, the S3 model registry, CloudWatch metrics',
  // SNS, SQS, S3 and CloudWatch need no Docker socket (Lambda would), so none is mounted.
  // Pinned: 4.14.0, the last community tag that starts without an account. Since 2026-03-23
  // `latest` exits unless LOCALSTACK_AUTH_TOKEN is set, and the open-source repository is
  // archived: this tag is frozen (no security fixes). SANDBOX_LOCALSTACK_IMAGE picks another.
  image: { name: 'localstack/localstack', tag: '4.14.0' },
  imageEnv: LOCALSTACK_IMAGE_ENV,
  // Handed through when set: newer LocalStack images need it.
  passEnv: ['LOCALSTACK_AUTH_TOKEN'],
  // LocalStack is a container image only (its `localstack` CLI starts that container).
  binaries: [],
  dockerOnly: true,
  installHint:
    'LocalStack has no native binary: it runs only in the docker runtime (`--runtime docker`); without it, Alertmanager has no SNS receiver, ml-service keeps its models in a local directory, and everything else works',
  ports: { http: 4566 },
  primaryPort: 'http',
  configSource: 'compose/localstack',
  // Scripts under ready.d/ run once LocalStack is up (they create the sandbox's SNS topic, SQS queue and S3 bucket).
  containerConfigDir: '/etc/localstack/init',
  containerDataDir: '/var/lib/localstack',
  // The image's entrypoint starts LocalStack; it is configured through the environment.
  args: () => [],
  env: (ctx) => ({
    SERVICES: 'sns,sqs,s3,cloudwatch',
    // Its default is 0.0.0.0:4566: with host networking that would be every interface of the host.
    GATEWAY_LISTEN: `${ctx.listenHost}:${ctx.port('http')}`,
    // The host:port LocalStack writes into the URLs it returns: its network alias, as the
    // testcontainers module would set it, spelled out so compose gets it too. SQS queue URLs put
    // `sqs.<region>.` in front (4.14's default `standard` strategy), a name nothing resolves:
    // clients use the endpoint and pass queue URLs as identifiers (compose/localstack/ready.d).
    LOCALSTACK_HOST: ctx.peer('localstack'),
    // No certificate download and no usage events: the sandbox needs nothing from outside.
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DISABLE_EVENTS: '1',
  }),
  testcontainersModule: 'localstack',
  readiness: { port: 'http', path: '/_localstack/health', timeoutMs: 90_000 },
  startOrder: 2,
  memoryMiB: 640,
  optional: true,
};
