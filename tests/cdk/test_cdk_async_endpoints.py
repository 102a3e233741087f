"""The asynchronous endpoints' execution roles can publish their notifications: sns:Publish on the two
notification topics, and the topics' KMS key through SNS only (the topics are encrypted with it)."""

from __future__ import annotations

from typing import Any

from cdk_synthesis import Synthesized
from model_runner_cdk.deployment_config import DeploymentConfig

ENDPOINT_ROLE = "arn:aws:iam::111122223333:role/ship-detector-async"
"""The asyncEndpointRoleArns of the synthesis (conftest's DEPLOYMENT_CONTEXT)."""


def _statements_for_endpoint_role(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for statement in policy["Statement"]
        if isinstance(statement.get("Principal"), dict) and statement["Principal"].get("AWS") == ENDPOINT_ROLE
    ]


def test_the_endpoint_roles_use_the_topics_key_only_through_sns(synthesized: Synthesized) -> None:
    (key,) = synthesized.of_type("AWS::KMS::Key").values()
    (statement,) = _statements_for_endpoint_role(key["Properties"]["KeyPolicy"])

    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    via = statement["Condition"]["StringEquals"]["kms:ViaService"]
    assert "sns." in str(via) and ".amazonaws.com" in str(via)


def test_the_endpoint_roles_publish_to_the_notification_topics_and_no_other(synthesized: Synthesized) -> None:
    topics = {
        logical_id: topic
        for logical_id, topic in synthesized.of_type("AWS::SNS::Topic").items()
        if topic["Properties"].get("KmsMasterKeyId")
    }
    publishers: dict[str, list[str]] = {}
    for policy in synthesized.of_type("AWS::SNS::TopicPolicy").values():
        for statement in _statements_for_endpoint_role(policy["Properties"]["PolicyDocument"]):
            assert statement["Effect"] == "Allow" and statement["Action"] == "sns:Publish"
            (topic,) = policy["Properties"]["Topics"]
            publishers.setdefault(topic["Ref"], []).append(statement["Resource"]["Ref"])

    assert sorted(publishers) == sorted(key for key in topics if "Async" in key)
    assert len(publishers) == 2
    assert all(resources == [topic] for topic, resources in publishers.items())


def test_the_roles_are_read_from_the_context_like_the_other_role_lists() -> None:
    config = DeploymentConfig.from_context({"asyncEndpointRoleArns": "arn:a, arn:b"}.get)

    assert config.async_endpoint_role_arns == ("arn:a", "arn:b")
    assert DeploymentConfig.from_context(lambda key: None).async_endpoint_role_arns == ()
