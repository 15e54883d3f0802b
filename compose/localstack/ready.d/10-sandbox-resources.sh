#!/bin/sh
# Runs inside the LocalStack container once it is ready (init hooks, /etc/localstack/init/ready.d;
# a shell script here must be executable and start with a shebang). LocalStack reports it done at
# GET /_localstack/init/ready ("completed": true); checks that use these resources wait for that.
#
# The sandbox's notification path over AWS: Alertmanager's SNS receiver (compose/alertmanager/
# alertmanager.yml, receiver `sns`) publishes to the topic, the topic fans out to a queue that
# checks (or a person with awslocal) can read:
#   topic:  arn:aws:sns:us-east-1:000000000000:sandbox-alerts
#   queue:  sandbox-alerts (SNS envelopes as message bodies). LocalStack 4.14's default
#           SQS_ENDPOINT_STRATEGY `standard` names it
#           http://sqs.us-east-1.<LOCALSTACK_HOST>/000000000000/sandbox-alerts, here
#           http://sqs.us-east-1.localstack:4566/000000000000/sandbox-alerts
#           (localstack-core/localstack/services/sqs/models.py, SqsQueue.url, at v4.14.0). No
#           container resolves that host: the URL is an identifier. Clients send to LocalStack's
#           endpoint (AWS_ENDPOINT_URL, awslocal) and pass it along; the AWS SDK for JavaScript v3
#           uses a configured endpoint rather than the queue URL's host
#           (@aws-sdk/middleware-sdk-sqs, queueUrlMiddleware).
# ml-service's model registry (MODEL_REGISTRY_S3_BUCKET, set by scripts/runtime/service-env/aws.ts):
#   bucket: sandbox-models (ml-service seeds it with the shipped model versions on first start)
set -eu
awslocal sns create-topic --name sandbox-alerts >/dev/null
awslocal sqs create-queue --queue-name sandbox-alerts >/dev/null
awslocal sns subscribe \
  --topic-arn arn:aws:sns:us-east-1:000000000000:sandbox-alerts \
  --protocol sqs \
  --notification-endpoint arn:aws:sqs:us-east-1:000000000000:sandbox-alerts >/dev/null
awslocal s3api create-bucket --bucket sandbox-models >/dev/null
echo "sandbox: SNS topic and SQS queue sandbox-alerts, S3 bucket sandbox-models are ready"
