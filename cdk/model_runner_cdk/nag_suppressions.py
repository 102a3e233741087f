"""cdk-nag AwsSolutions findings that are accepted, each with the reason it is acceptable."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from model_runner_cdk.deployment_config import DeploymentConfig
from model_runner_cdk.worker_permissions import endpoint_arns
from model_runner_cdk.worker_resources import WorkerResources
from model_runner_cdk.worker_service import WorkerService

RULE_PREFIX = "AwsSolutions::AwsSolutions-"


def suppress_justified_findings(
    stack: Stack, config: DeploymentConfig, resources: WorkerResources, worker: WorkerService
) -> None:
    """Acknowledge, with its reason, every finding the stack accepts; any other one fails synth."""
    _acknowledge(
        worker.task_definition,
        "ECS2",
        "The environment holds only resource addresses and tuning values generated from the "
        "worker's settings class; no secret is passed to the worker.",
    )
    execution_policy = _default_policy(worker.task_definition.execution_role)
    _acknowledge(
        execution_policy,
        "IAM5[Resource::*]",
        "ecr:GetAuthorizationToken, granted by CDK to pull the image, has no resource-level "
        "permissions: AWS requires Resource '*'.",
    )
    task_policy = _default_policy(worker.task_definition.task_role)
    for bucket in resources.buckets.values():
        logical_id = stack.resolve(stack.get_logical_id(_cfn_resource(bucket)))
        _acknowledge(
            task_policy,
            f"IAM5[Resource::<{logical_id}.Arn>/*]",
            "Object keys are chosen per request and per job (output prefixes, image keys, "
            "region detections), so the worker reads any object of this deployment's bucket, "
            "writes to the results and workspace buckets, and deletes only in the workspace.",
        )
    for table in resources.tables.values():
        cfn_table = _cfn_resource(table)
        if isinstance(cfn_table, dynamodb.CfnTable) and stack.resolve(cfn_table.global_secondary_indexes):
            logical_id = stack.resolve(stack.get_logical_id(cfn_table))
            _acknowledge(
                task_policy,
                f"IAM5[Resource::<{logical_id}.Arn>/index/*]",
                "CDK's table grants cover the table's own secondary indexes (the operators' tools "
                "query the job table by job id); no other table is reached.",
            )
    for name in config.image_bucket_names:
        _acknowledge(
            task_policy,
            f"IAM5[Resource::arn:<AWS::Partition>:s3:::{name}/*]",
            "Images are named by requests: the worker reads (s3:GetObject only) any object of "
            "the image buckets the deployment names.",
        )
    if config.model_endpoint_prefix:
        prefixed = stack.resolve(endpoint_arns(stack, config)[-1])
        _acknowledge(
            task_policy,
            f"IAM5[Resource::{_finding_text(prefixed)}]",
            "Model endpoints are named by requests; the deployment limits them to a name prefix "
            "(modelEndpointPrefix) and to invoke/describe actions.",
        )


def _acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{RULE_PREFIX}{finding}", reason=reason))


def _default_policy(role: iam.IRole | None) -> IConstruct:
    if not isinstance(role, iam.Role) or role.node.try_find_child("DefaultPolicy") is None:
        raise ValueError("expected a role with a default policy")
    return role.node.find_child("DefaultPolicy").node.find_child("Resource")


def _cfn_resource(construct: IConstruct) -> CfnElement:
    child = construct.node.default_child
    if not isinstance(child, CfnElement):
        raise ValueError(f"{construct.node.path} has no CloudFormation resource")
    return child


def _finding_text(value: object) -> str:
    """How cdk-nag prints a resolved ARN: Fn::Join parts with references as <Ref>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_finding_text(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    raise ValueError(f"cannot render {value!r}")
