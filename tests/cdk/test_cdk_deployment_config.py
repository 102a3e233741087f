"""Deployment choices read from CDK context, as `cdk deploy -c key=value` or cdk.json give them."""

from __future__ import annotations

import pytest
from model_runner_cdk.deployment_config import DeploymentConfig


def test_command_line_strings_and_json_lists_give_the_same_names() -> None:
    from_cli = DeploymentConfig.from_context({"imageBucketNames": "a, b,"}.get)
    from_json = DeploymentConfig.from_context({"imageBucketNames": ["a", "b"]}.get)

    assert from_cli.image_bucket_names == from_json.image_bucket_names == ("a", "b")


def test_numbers_and_worker_settings_are_parsed() -> None:
    config = DeploymentConfig.from_context(
        {"minTasks": "0", "maxTasks": 3, "workerSettings": '{"WORKERS": 8}'}.get
    )

    assert (config.min_tasks, config.max_tasks) == (0, 3)
    assert config.worker_settings == {"WORKERS": "8"}


def test_defaults_without_context() -> None:
    config = DeploymentConfig.from_context(lambda key: None)

    assert config.vpc_id is None
    assert config.user_role_arns == ()
    assert (config.min_tasks, config.max_tasks) == (1, 10)


def test_more_minimum_than_maximum_tasks_is_refused() -> None:
    with pytest.raises(ValueError, match="minTasks"):
        DeploymentConfig.from_context({"minTasks": 5, "maxTasks": 2}.get)
