"""The task role may make exactly the worker's calls, on this deployment's resources."""

from __future__ import annotations

import json
from typing import Any

from cdk_synthesis import Synthesized


def _task_statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    (policy,) = [p for key, p in synthesized.of_type("AWS::IAM::Policy").items() if "TaskRole" in key]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _statements_with(synthesized: Synthesized, action: str) -> list[dict[str, Any]]:
    return [s for s in _task_statements(synthesized) if action in _actions(s)]


def test_no_wildcard_action_and_no_wildcard_resource(synthesized: Synthesized) -> None:
    for statement in _task_statements(synthesized):
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in _actions(statement))
        assert statement["Resource"] != "*"


def test_objects_are_written_to_results_and_workspace_and_deleted_only_there(
    synthesized: Synthesized,
) -> None:
    (put,) = _statements_with(synthesized, "s3:PutObject")
    (delete,) = _statements_with(synthesized, "s3:DeleteObject")
    (listing,) = _statements_with(synthesized, "s3:ListBucket")

    assert "mrresults" in json.dumps(put["Resource"])
    assert "mrworkspace" in json.dumps(put["Resource"])
    assert "mrimages" not in json.dumps(put["Resource"])
    for statement in (delete, listing):
        assert "mrworkspace" in json.dumps(statement["Resource"])
        assert "mrresults" not in json.dumps(statement["Resource"])


def test_images_are_read_from_the_deployed_and_the_named_buckets(synthesized: Synthesized) -> None:
    (get,) = _statements_with(synthesized, "s3:GetObject")

    text = json.dumps(get["Resource"])
    assert ":s3:::customer-imagery/*" in text
    assert ":s3:::archive-imagery/*" in text
    assert "mrimages" in text
    assert _actions(get) == {"s3:GetObject"}


def test_only_the_named_and_prefixed_endpoints_may_be_invoked(synthesized: Synthesized) -> None:
    (invoke,) = _statements_with(synthesized, "sagemaker:InvokeEndpoint")

    assert _actions(invoke) == {
        "sagemaker:InvokeEndpoint",
        "sagemaker:InvokeEndpointAsync",
        "sagemaker:DescribeEndpoint",
        "sagemaker:ListTags",
    }
    arns = ["".join(str(part) for part in arn["Fn::Join"][1]) for arn in invoke["Resource"]]
    assert {arn.rsplit(":", 1)[-1] for arn in arns} == {"endpoint/ship-detector", "endpoint/aircraft-*"}


def test_only_the_named_user_roles_may_be_assumed(synthesized: Synthesized) -> None:
    (assume,) = _statements_with(synthesized, "sts:AssumeRole")

    assert assume["Resource"] == "arn:aws:iam::111122223333:role/image-reader"


def test_status_rows_are_never_scanned_nor_deleted(synthesized: Synthesized) -> None:
    (tables,) = _statements_with(synthesized, "dynamodb:UpdateItem")

    assert not _actions(tables) & {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:DeleteTable"}
    indexes = [resource for resource in tables["Resource"] if "/index/" in json.dumps(resource)]
    assert len(tables["Resource"]) - len(indexes) == len(synthesized.of_type("AWS::DynamoDB::Table"))
    assert all("JobStatus" in json.dumps(index) for index in indexes)  # the job table's job_id index only


def test_only_the_scheduling_tables_done_rows_are_deleted(synthesized: Synthesized) -> None:
    (delete,) = _statements_with(synthesized, "dynamodb:DeleteItem")

    assert _actions(delete) == {"dynamodb:DeleteItem"}
    assert "EndpointSchedule" in json.dumps(delete["Resource"])
    assert len(delete["Resource"]) == 1


def test_dead_letter_queues_only_receive_messages_from_the_worker(synthesized: Synthesized) -> None:
    send_only = [s for s in _task_statements(synthesized) if "DLQ" in json.dumps(s["Resource"])]

    assert len(send_only) == 1
    assert "sqs:ReceiveMessage" not in _actions(send_only[0])
    assert "sqs:SendMessage" in _actions(send_only[0])
