"""The worker task role's permissions: exactly the calls the worker makes, on its own resources."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from model_runner.resources import RESOURCES
from model_runner_cdk.deployment_config import DeploymentConfig
from model_runner_cdk.worker_resources import WorkerResources

TABLE_ACTIONS = (
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
)
"""Status rows are read, created and updated (conditionally); never scanned nor deleted (TTL does)."""

SCHEDULE_ACTIONS = ("dynamodb:DeleteItem",)
"""The scheduling table's work rows are deleted once their region is done (in a transaction)."""

ENDPOINT_ACTIONS = (
    "sagemaker:InvokeEndpoint",
    "sagemaker:InvokeEndpointAsync",
    "sagemaker:DescribeEndpoint",
    "sagemaker:ListTags",
)


def grant_worker_access(role: iam.IRole, resources: WorkerResources, config: DeploymentConfig) -> None:
    """Grant ``role`` what the worker needs: queues, tables, topics, buckets, stream, endpoints."""
    for queue in resources.queues.values():
        queue.grant_consume_messages(role)
        queue.grant_send_messages(role)
    for dead_letter_queue in resources.dead_letter_queues.values():
        dead_letter_queue.grant_send_messages(role)
    for table in resources.tables.values():
        table.grant(role, *TABLE_ACTIONS)
    schedule = next(spec.name for spec in RESOURCES.tables if spec.setting == "ENDPOINT_TABLE")
    resources.tables[schedule].grant(role, *SCHEDULE_ACTIONS)
    _allow(role, ["sns:Publish"], [topic.topic_arn for topic in resources.topics.values()])
    resources.key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")
    for stream in resources.streams.values():
        stream.grant_write(role)
    stack = Stack.of(role)
    image_objects = [bucket.arn_for_objects("*") for bucket in resources.buckets.values()]
    image_objects += [f"arn:{stack.partition}:s3:::{name}/*" for name in config.image_bucket_names]
    _allow(role, ["s3:GetObject"], image_objects)
    _allow(
        role,
        ["s3:PutObject", "s3:AbortMultipartUpload"],
        [bucket.arn_for_objects("*") for bucket in (resources.results_bucket, *resources.workspace_buckets)],
    )
    _allow(role, ["s3:DeleteObject"], [bucket.arn_for_objects("*") for bucket in resources.workspace_buckets])
    _allow(role, ["s3:ListBucket"], [bucket.bucket_arn for bucket in resources.workspace_buckets])
    _allow(role, list(ENDPOINT_ACTIONS), endpoint_arns(stack, config))
    _allow(role, ["sts:AssumeRole"], list(config.user_role_arns))


def grant_async_endpoint_notifications(resources: WorkerResources, config: DeploymentConfig) -> None:
    """Let the asynchronous endpoints' execution roles publish their notifications: sns:Publish on the
    topics that deliver to the worker's notification queue, and, as the topics are encrypted, the
    KMS key's data-key calls, only through SNS."""
    if not config.async_endpoint_role_arns:
        return
    roles = [iam.ArnPrincipal(arn) for arn in config.async_endpoint_role_arns]
    for name, topic in resources.topics.items():
        if name in resources.notification_topic_names:
            topic.add_to_resource_policy(
                iam.PolicyStatement(principals=roles, actions=["sns:Publish"], resources=[topic.topic_arn])
            )
    through_sns = {"kms:ViaService": f"sns.{Stack.of(resources).region}.amazonaws.com"}
    resources.key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=roles,
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": through_sns},
        )
    )


def endpoint_arns(stack: Stack, config: DeploymentConfig) -> list[str]:
    """ARNs of the allowed SageMaker endpoints; SageMaker writes endpoint names in ARNs lower-case."""
    names = [*config.model_endpoint_names]
    if config.model_endpoint_prefix:
        names.append(f"{config.model_endpoint_prefix}*")
    return [
        stack.format_arn(service="sagemaker", resource="endpoint", resource_name=name.lower())
        for name in names
    ]


def _allow(role: iam.IRole, actions: list[str], resources: list[str]) -> None:
    if resources:
        role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
