"""The task's outbound traffic: HTTPS, plus the model destinations the deployment names; the
allow-lists reach the worker as its settings."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_synthesis import Synthesized
from model_runner_cdk.deployment_config import DeploymentConfig
from model_runner_cdk.worker_network import model_destinations


def _task_egress(synthesized: Synthesized) -> list[dict[str, Any]]:
    (service,) = synthesized.of_type("AWS::ECS::Service").values()
    groups = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
    (reference,) = groups
    group = synthesized.resources[reference["Fn::GetAtt"][0]]
    return list(group["Properties"]["SecurityGroupEgress"])


def test_the_task_may_leave_only_on_https_and_to_the_named_model_destinations(
    synthesized: Synthesized,
) -> None:
    rules = {
        (rule["CidrIp"], rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
        for rule in _task_egress(synthesized)
    }

    assert rules == {
        ("0.0.0.0/0", "tcp", 443, 443),
        ("10.20.0.0/16", "tcp", 8080, 8080),  # modelEgress
        ("10.1.2.3/32", "tcp", 8080, 8080),  # the allow-listed model address
    }


def test_the_allow_lists_are_the_workers_settings(synthesized: Synthesized) -> None:
    (task,) = synthesized.of_type("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    environment = {item["Name"]: item["Value"] for item in container["Environment"]}

    assert environment["MODEL_ENDPOINT_ALLOWLIST"] == "https://models.example.com/detect,10.1.2.3:8080"
    assert environment["IMAGE_SOURCE_PREFIXES"] == "s3://archive-imagery/dem/"
    assert "IMAGE_ALLOW_LOCAL_PATHS" not in environment
    assert "IMAGE_HTTPS_HOSTS" not in environment


@pytest.mark.parametrize(
    ("context", "refusal"),
    [
        (
            {"workerSettings": {"MODEL_ENDPOINT_ALLOWLIST": "evil.example"}},
            "modelEndpointAllowlist parameter",
        ),
        ({"workerSettings": {"IMAGE_ALLOW_LOCAL_PATHS": "true"}}, "local stack and tests only"),
        ({"modelEgress": "10.0.0.0/16"}, "expected CIDR:port"),
        ({"modelEgress": "10.0.0.0/16:99999"}, "expected CIDR:port"),
    ],
)
def test_unsafe_or_malformed_parameters_are_refused(context: dict[str, Any], refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        model_destinations(DeploymentConfig.from_context(context.get))


def test_https_model_hosts_need_no_rule_of_their_own() -> None:
    config = DeploymentConfig.from_context(
        {"modelEndpointAllowlist": "https://models.example.com,10.9.9.9"}.get
    )
    assert model_destinations(config) == []
