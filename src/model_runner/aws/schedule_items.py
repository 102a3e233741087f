"""The scheduling table's DynamoDB items: keys, numbers, images' starts and work rows as written and
read back, and the rows of a fan-out cut into transactions DynamoDB takes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from model_runner.aws.batches import batches
from model_runner.resources import TTL_ATTRIBUTE
from model_runner.scheduling import NewWork, WorkRow, work_item

TRANSACTION_ROWS = 25
TRANSACTION_BYTES = 3 * 1024 * 1024
"""Rows added per transaction: DynamoDB takes 100 actions and 4 MB at most."""
ROW_FIELDS = "#item, job_id, image_id, tiles, enqueued, attempts, #owner, lease_expires, units, not_before"
"""What a cycle reads of a work row (not its body)."""
IMAGE_PREFIX = "i#"


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


def image_start(key: str, image_id: str, base: str, arrival_ms: int, expires: float) -> dict[str, Any]:
    """Where an image's rows start at ``key``: the rank of its first (``base``) and its arrival."""
    return {
        "endpoint": {"S": key},
        "item": {"S": IMAGE_PREFIX + image_id},
        "base": {"N": base},
        "arrival": {"N": str(arrival_ms)},
        TTL_ATTRIBUTE: {"N": str(int(expires))},
    }


def new_work(
    key: str, region: NewWork, now: float, rank: int, arrival_ms: int, expires: float
) -> dict[str, Any]:
    """The work row of ``region``, not leased yet."""
    return {
        "endpoint": {"S": key},
        "item": {"S": work_item(rank, arrival_ms, region.image_id, region.region_id)},
        "body": {"S": region.body},
        "job_id": {"S": region.job_id},
        "image_id": {"S": region.image_id},
        "tiles": {"N": str(region.tiles)},
        "enqueued": {"N": repr(now)},
        "attempts": {"N": "0"},
        TTL_ATTRIBUTE: {"N": str(int(expires))},
    }


def put_if_absent(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """A transaction's put of ``item``, if no item has its key."""
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#item)",
            "ExpressionAttributeNames": {"#item": "item"},
        }
    }
