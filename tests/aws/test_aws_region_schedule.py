"""The scheduling table's round trips (in-process moto): a new image's regions go in with one read
and one transaction, and a claim's body is read while its transaction runs, so a region's start
waits on as few DynamoDB calls as its guarantees allow."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from dynamodb_tables import make_table, table_spec
from moto import mock_aws

from model_runner.aws.region_schedule import RegionScheduleTable
from model_runner.scheduling import Lease, NewWork

PROCESSOR = '{"processor": {"name": "ep", "type": "SM_ENDPOINT"}, "variant": null}'


class RecordingClient:
    """The moto client, the DynamoDB operations it was asked for in order; the claim's transaction
    and its read of a body each wait (a while) for the other to begin, and say whether it did."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.operations: list[str] = []
        self.transacting, self.reading = threading.Event(), threading.Event()
        self.overlapped: list[str] = []

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self.client, name)

        def recorded(**arguments: Any) -> Any:
            self.operations.append(name)
            if name == "transact_write_items" and _claims(arguments):
                self._meet(self.transacting, self.reading, "transaction")
            if name == "get_item" and arguments.get("ProjectionExpression") == "body":
                self._meet(self.reading, self.transacting, "read")
            return operation(**arguments)

        return recorded

    def _meet(self, mine: threading.Event, other: threading.Event, what: str) -> None:
        mine.set()
        if other.wait(1.0):
            self.overlapped.append(what)


def _claims(arguments: dict[str, Any]) -> bool:
    return any("lease_expires" in str(action) for action in arguments["TransactItems"])


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RegionScheduleTable, RecordingClient]]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        spec = table_spec("ENDPOINT_TABLE")
        client = RecordingClient(make_table(spec))
        yield RegionScheduleTable(client, spec.name), client


def regions(count: int) -> list[NewWork]:
    return [NewWork(i, "job:img", f"r{i}", "job", 4, f'{{"region": {i}}}') for i in range(count)]


def test_a_new_images_regions_go_in_with_one_read_and_one_transaction(
    table: tuple[RegionScheduleTable, RecordingClient],
) -> None:
    schedule, client = table

    assert schedule.add("ep", "job:img", regions(3), PROCESSOR) == 3

    assert client.operations == ["get_item", "transact_write_items"]  # the counters, then start and rows
    client.operations.clear()
    assert schedule.add("ep", "job:img", regions(4), PROCESSOR) == 1  # redelivered, with one more region
    rows = schedule.rows("ep", 25)
    assert [row.rank for row in rows] == [0, 1, 2, 3]  # placed by the image's first start
    assert len({row.item.split("#")[2] for row in rows}) == 1  # one arrival


def test_a_claims_body_is_read_while_its_transaction_runs(
    table: tuple[RegionScheduleTable, RecordingClient],
) -> None:
    schedule, client = table
    schedule.add("ep", "job:img", regions(1), PROCESSOR)
    row = schedule.rows("ep", 25)[0]

    lease = schedule.claim(row, "a", 2, 4, 60.0, 1000.0)

    assert isinstance(lease, Lease) and lease.body == '{"region": 0}' and lease.attempts == 1
    assert sorted(client.overlapped) == ["read", "transaction"]
