"""The stack deploys the resource description: queues with redrive, tables, topics, bucket, stream."""

from __future__ import annotations

from aws_cdk.assertions import Match
from cdk_synthesis import Synthesized

from model_runner.resources import RESOURCES


def test_each_queue_redrives_to_its_dead_letter_queue_after_the_described_receives(
    synthesized: Synthesized,
) -> None:
    queues = synthesized.of_type("AWS::SQS::Queue")
    redriven = {key: q["Properties"] for key, q in queues.items() if "RedrivePolicy" in q["Properties"]}

    assert len(redriven) == len(RESOURCES.queues)
    for spec in RESOURCES.queues:
        (properties,) = [p for key, p in redriven.items() if spec.name in key]
        target = properties["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert spec.dead_letter_name in target
        assert properties["RedrivePolicy"]["maxReceiveCount"] == spec.max_receive_count
        assert properties["VisibilityTimeout"] == spec.visibility_timeout_s
        assert properties["MessageRetentionPeriod"] == spec.retention_s
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_every_queue_refuses_requests_without_tls(synthesized: Synthesized) -> None:
    policies = synthesized.of_type("AWS::SQS::QueuePolicy").values()

    denied = [
        statement
        for policy in policies
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denied) == 2 * len(RESOURCES.queues)


def test_tables_have_the_described_keys_and_ttl(synthesized: Synthesized) -> None:
    for spec in RESOURCES.tables:
        keys = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
        if spec.sort_key:
            keys.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
        ttl = {"AttributeName": spec.ttl_attribute, "Enabled": True} if spec.ttl_attribute else Match.absent()
        indexes = [
            Match.object_like({"IndexName": index.name, "Projection": {"ProjectionType": "ALL"}})
            for index in spec.indexes
        ]
        synthesized.template.has_resource_properties(
            "AWS::DynamoDB::Table",
            {
                "KeySchema": keys,
                "GlobalSecondaryIndexes": indexes or Match.absent(),
                "TimeToLiveSpecification": ttl,
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
        )
    synthesized.template.resource_count_is("AWS::DynamoDB::Table", len(RESOURCES.tables))


def test_buckets_are_encrypted_private_and_tls_only(synthesized: Synthesized) -> None:
    buckets = synthesized.of_type("AWS::S3::Bucket")

    assert len(buckets) == len(RESOURCES.buckets) + 1  # and the access-log bucket
    for bucket in buckets.values():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ] == {"SSEAlgorithm": "AES256"}
        assert bucket["DeletionPolicy"] == "Retain"
    for policy in synthesized.of_type("AWS::S3::BucketPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_buckets_expire_objects_as_described(synthesized: Synthesized) -> None:
    buckets = synthesized.of_type("AWS::S3::Bucket")

    for spec in RESOURCES.buckets:
        (bucket,) = [b["Properties"] for key, b in buckets.items() if spec.name.replace("-", "") in key]
        rules = bucket.get("LifecycleConfiguration", {}).get("Rules", [])
        assert [rule.get("ExpirationInDays") for rule in rules] == (
            [spec.expire_days] if spec.expire_days else []
        )


def test_topics_are_encrypted_and_the_stream_is_encrypted(synthesized: Synthesized) -> None:
    topics = synthesized.of_type("AWS::SNS::Topic")

    assert len(topics) == len(RESOURCES.topics) + 1  # and the alarm topic
    assert all("KmsMasterKeyId" in topic["Properties"] for topic in topics.values())
    synthesized.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "ShardCount": RESOURCES.streams[0].shard_count,
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
        },
    )


def test_the_worker_runs_on_fargate_as_the_image_command_in_private_subnets(
    synthesized: Synthesized,
) -> None:
    synthesized.template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "RequiresCompatibilities": ["FARGATE"],
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Command": ["model-runner", "worker"],
                        "HealthCheck": Match.object_like({"Command": ["CMD", "model-runner", "health"]}),
                        "ReadonlyRootFilesystem": True,
                    }
                )
            ],
        },
    )
    synthesized.template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})
            },
        },
    )


def test_users_find_every_address_in_the_outputs(synthesized: Synthesized) -> None:
    assert {"ImageQueue", "JobTable", "ImageStatusTopic", "MrResults", "MrFeatures", "Dashboard"} <= set(
        synthesized.outputs
    )
