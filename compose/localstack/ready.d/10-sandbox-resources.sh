#!/bin/sh
# Runs inside the LocalStack container once it is ready (init hooks, /etc/localstack/init/ready.d).
# The sandbox's notification path over AWS: Alertmanager's SNS receiver publishes to the topic,
# the topic fans out to a queue that checks (or a person with awslocal) can read.
#   topic: arn:aws:sns:us-east-1:000000000000:sandbox-alerts
#   queue: http://localstack:4566/000000000000/sandbox-alerts
set -eu
awslocal sns create-topic --name sandbox-alerts >/dev/null
awslocal sqs create-queue --queue-name sandbox-alerts >/dev/null
awslocal sns subscribe \
  --topic-arn arn:aws:sns:us-east-1:000000000000:sandbox-alerts \
  --protocol sqs \
  --notification-endpoint arn:aws:sqs:us-east-1:000000000000:sandbox-alerts >/dev/null
echo "sandbox: SNS topic and SQS queue sandbox-alerts are ready"
