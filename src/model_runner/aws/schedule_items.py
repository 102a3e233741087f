"""The scheduling table's DynamoDB items: keys, numbers, work rows read back, and the rows of a
fan-out cut into transactions DynamoDB takes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from model_runner.aws.batches import batches
from model_runner.scheduling import WorkRow

TRANSACTION_ROWS = 25
TRANSACTION_BYTES = 3 * 1024 * 1024
"""Rows added per transaction: DynamoDB takes 100 actions and 4 MB at most."""
ROW_FIELDS = "#item, job_id, image_id, tiles, enqueued, attempts, #owner, lease_expires, units, not_before"
"""What a cycle reads of a work row (not its body)."""


def transaction_chunks(
    rows: Sequence[tuple[str, dict[str, Any]]],
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """``rows`` (item name, item) in chunks of at most TRANSACTION_ROWS rows and about
    TRANSACTION_BYTES of bodies."""
    return batches(
        rows,
        lambda row: len(row[1]["body"]["S"]) + 512,
        most_items=TRANSACTION_ROWS,
        most_bytes=TRANSACTION_BYTES,
    )


def item_key(endpoint: str, item: str) -> dict[str, Any]:
    return {"endpoint": {"S": endpoint}, "item": {"S": item}}


def number_of(item: dict[str, Any], name: str) -> int:
    return int(float(item.get(name, {}).get("N", "0")))


def work_row(key: str, item: dict[str, Any]) -> WorkRow:
    return WorkRow(
        key=key,
        item=item["item"]["S"],
        job_id=item["job_id"]["S"],
        image_id=item["image_id"]["S"],
        tiles=number_of(item, "tiles"),
        enqueued=float(item["enqueued"]["N"]),
        attempts=number_of(item, "attempts"),
        owner=item.get("owner", {}).get("S"),
        lease_expires=float(item.get("lease_expires", {}).get("N", "0")),
        units=number_of(item, "units"),
        not_before=float(item.get("not_before", {}).get("N", "0")),
    )
