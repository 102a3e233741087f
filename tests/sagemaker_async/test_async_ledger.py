"""The tile ledger on DynamoDB (the stack's moto): every move is conditional, so duplicate, late
and foreign notifications change nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from model_runner.aws.clients import AwsClients
from model_runner.aws.tile_ledger import TileLedger, TileState
from model_runner.config import load_settings
from model_runner.handlers.sagemaker.async_inference import AsyncInference, inference_id
from model_runner.inference.sagemaker_async import AsyncNotification, parse_notification
from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture
def inference(stack: LocalStack) -> AsyncInference:
    settings = load_settings(stack.env)
    built = AsyncInference.from_settings(settings, AwsClients(settings).client)
    assert built is not None
    return built


def submitted_tile(ledger: TileLedger) -> tuple[str, str]:
    region = uuid.uuid4().hex[:24]
    ledger.open_region(region, ["x0-y0-w256-h256"])
    assert ledger.submit(region, "x0-y0-w256-h256")
    return region, "x0-y0-w256-h256"


def test_a_late_failure_after_completion_and_a_duplicate_completion_change_nothing(
    inference: AsyncInference,
) -> None:
    region, tile = submitted_tile(inference.ledger)
    done = AsyncNotification(inference_id(region, tile), True, output_location="s3://mr-async/a.out")

    inference.apply(done)
    inference.apply(AsyncNotification(inference_id(region, tile), False, reason="late"))
    inference.apply(
        AsyncNotification(inference_id(region, tile), True, output_location="s3://mr-async/b.out")
    )

    record = inference.ledger.get(region, tile)
    assert (record.state, record.output_location, record.reason) == (
        TileState.COMPLETED,
        "s3://mr-async/a.out",
        "",
    )


def test_a_failure_notification_records_its_reason_once(inference: AsyncInference) -> None:
    region, tile = submitted_tile(inference.ledger)

    inference.apply(AsyncNotification(inference_id(region, tile), False, reason="ModelError: boom"))
    assert not inference.ledger.complete(region, tile, "s3://mr-async/late.out")

    record = inference.ledger.get(region, tile)
    assert record.state is TileState.FAILED
    assert record.reason == (
        "the endpoint reported a failure: ModelError; the model's message is in the worker log"
    )


def test_a_tile_is_submitted_by_one_worker_only(inference: AsyncInference) -> None:
    region, tile = submitted_tile(inference.ledger)

    assert not inference.ledger.submit(region, tile)
    assert inference.ledger.open_region(region, [tile])[tile].state is TileState.SUBMITTED


def test_notifications_are_read_through_sns_envelopes_and_strangers_are_ignored() -> None:
    event = '{"inferenceId": "r/t", "invocationStatus": "Failed", "failureReason": "why"}'
    envelope = json.dumps({"Type": "Notification", "Message": event})

    assert parse_notification(envelope) == AsyncNotification("r/t", False, reason="why")
    assert parse_notification('{"hello": 1}') is None
    assert parse_notification("not json") is None


def test_only_a_submission_with_no_output_location_is_reclaimed(inference: AsyncInference) -> None:
    ledger = inference.ledger
    in_doubt, tile = submitted_tile(ledger)
    located, _ = submitted_tile(ledger)
    ledger.record_locations(located, tile, "s3://mr-async/a.out", None)
    answered, _ = submitted_tile(ledger)
    assert ledger.complete(answered, tile, "s3://mr-async/b.out")

    assert ledger.reclaim(in_doubt, tile)
    assert not ledger.reclaim(located, tile)
    assert not ledger.reclaim(answered, tile)
    assert [ledger.get(region, tile).state for region in (in_doubt, located, answered)] == [
        TileState.PENDING,
        TileState.SUBMITTED,
        TileState.COMPLETED,
    ]
