"""The task definition's environment is a valid configuration of the worker, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_synthesis import Synthesized
from model_runner_cdk.worker_environment import (
    known_variables,
    required_variables,
    resource_addresses,
    worker_environment,
)

from model_runner.config import WorkerSettings, load_settings
from model_runner.errors import ConfigurationError
from model_runner.resources import RESOURCES


def _container_environment(synthesized: Synthesized) -> dict[str, Any]:
    (task,) = synthesized.of_type("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["Value"] for item in container["Environment"]}


def _addresses() -> dict[str, str]:
    return resource_addresses(
        RESOURCES,
        queue_urls={
            name: f"https://sqs/{name}" for q in RESOURCES.queues for name in (q.name, q.dead_letter_name)
        },
        table_names={table.name: f"{table.name}-x" for table in RESOURCES.tables},
        topic_arns={topic.name: f"arn:aws:sns:us-west-2:1:{topic.name}" for topic in RESOURCES.topics},
        bucket_names={bucket.name: f"{bucket.name}-x" for bucket in RESOURCES.buckets},
    )


def test_every_variable_of_the_task_is_a_worker_setting(synthesized: Synthesized) -> None:
    environment = _container_environment(synthesized)

    assert set(environment) <= known_variables()
    assert required_variables() <= set(environment)


def test_the_task_carries_every_resource_address_and_the_deployment_overrides(
    synthesized: Synthesized,
) -> None:
    environment = _container_environment(synthesized)

    settings = {table.setting for table in RESOURCES.tables} | {topic.setting for topic in RESOURCES.topics}
    settings |= {queue.setting for queue in RESOURCES.queues}
    settings |= {queue.dead_letter_setting for queue in RESOURCES.queues if queue.dead_letter_setting}
    settings |= {bucket.setting for bucket in RESOURCES.buckets if bucket.setting}
    assert settings <= set(environment)
    assert environment["REGION_SIZE"] == "8192"
    assert environment["SCHEDULER_THROTTLING_ENABLED"] == "true"
    assert environment["LOG_FORMAT"] == "json"


def test_the_worker_keeps_messages_invisible_as_long_as_the_queues_do(synthesized: Synthesized) -> None:
    environment = _container_environment(synthesized)
    queues = synthesized.of_type("AWS::SQS::Queue").values()

    timeouts = {q["Properties"]["VisibilityTimeout"] for q in queues if "RedrivePolicy" in q["Properties"]}
    assert timeouts == {int(environment[WorkerSettings.variable_of("visibility_timeout_s")])}


def test_the_generated_environment_loads_as_worker_settings() -> None:
    environment = worker_environment(RESOURCES, _addresses(), "eu-west-1", {"WORKERS": "8"})

    settings = load_settings(environment)
    assert settings.aws_region == "eu-west-1"
    assert settings.image_queue == "https://sqs/ImageRequestQueue"
    assert settings.region_dlq == "https://sqs/RegionRequestDLQ"
    assert settings.tile_ledger_table == "TileLedger-x"
    assert settings.workspace_bucket == "mr-workspace-x"
    assert settings.tile_workers == 8


def test_an_unknown_override_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="REGION_SIZ"):
        worker_environment(RESOURCES, _addresses(), "eu-west-1", {"REGION_SIZ": "8192"})


def test_an_override_the_worker_would_reject_fails_the_synthesis() -> None:
    with pytest.raises(ConfigurationError, match="WORKERS"):
        worker_environment(RESOURCES, _addresses(), "eu-west-1", {"WORKERS": "0"})
