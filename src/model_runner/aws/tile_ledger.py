"""The tile ledger of asynchronous endpoints: one row per tile of a region, keyed (region_key, tile_id).

A tile moves PENDING -> SUBMITTED -> COMPLETED or FAILED (PENDING -> FAILED too, for a tile that
never reached the endpoint), and every move is a conditional write on the state it leaves, so a
duplicate or late notification, or a second worker resuming the region, changes nothing that
already happened. A throttled submission goes back from SUBMITTED to PENDING, also conditionally,
and so does a submission left in doubt by a worker that died making it (:meth:`TileLedger.reclaim`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from model_runner.aws.service_errors import ConditionFailedError, aws_call
from model_runner.resources import TTL_ATTRIBUTE

MAX_REASON_CHARS = 1000


class TileState(enum.Enum):
    """Where a tile is on its way through an asynchronous endpoint."""

    PENDING = "PENDING"
    SUBMITTED = "SUBMITTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in (TileState.COMPLETED, TileState.FAILED)


@dataclass(frozen=True)
class TileRecord:
    """What the ledger knows of one tile."""

    region_key: str
    tile_id: str
    state: TileState
    submitted_at: float | None = None
    output_location: str | None = None
    failure_location: str | None = None
    reason: str = ""


class TileLedger:
    """The tile ledger table, through an injected boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str, ttl_days: int) -> None:
        self._client = client
        self.table_name = table_name
        self._ttl_s = ttl_days * 24 * 3600

    def open_region(self, region_key: str, tile_ids: Iterable[str]) -> dict[str, TileRecord]:
        """Add a PENDING row for each tile that has none; returns every tile's row as it is now."""
        known = {record.tile_id: record for record in self.tiles(region_key)}
        expires = str(int(time.time() + self._ttl_s))
        for tile_id in tile_ids:
            if tile_id in known:
                continue
            try:
                with aws_call(f"add tile {tile_id} to {self.table_name}"):
                    self._client.put_item(
                        TableName=self.table_name,
                        Item={
                            **_key(region_key, tile_id),
                            "state": {"S": TileState.PENDING.value},
                            TTL_ATTRIBUTE: {"N": expires},
                        },
                        ConditionExpression="attribute_not_exists(tile_id)",
                    )
                known[tile_id] = TileRecord(region_key, tile_id, TileState.PENDING)
            except ConditionFailedError:
                known[tile_id] = self.get(region_key, tile_id)
        return known

    def submit(self, region_key: str, tile_id: str) -> bool:
        """PENDING -> SUBMITTED; False when the tile was not pending (another worker took it)."""
        return self._move(
            region_key,
            tile_id,
            (TileState.PENDING,),
            TileState.SUBMITTED,
            {"submitted_at": {"N": f"{time.time():.3f}"}},
        )

    def reclaim(self, region_key: str, tile_id: str) -> bool:
        """SUBMITTED without an output location -> PENDING: the submission of a worker that died
        before the endpoint took the tile, or before it kept where the answer goes (then the
        tile's notification, if any, has not come either); False if the tile moved on meanwhile."""
        return self._move(
            region_key,
            tile_id,
            (TileState.SUBMITTED,),
            TileState.PENDING,
            {},
            also="attribute_not_exists(output_location)",
        )

    def unsubmit(self, region_key: str, tile_id: str) -> bool:
        """SUBMITTED -> PENDING, for a submission the endpoint refused for now (throttled)."""
        return self._move(region_key, tile_id, (TileState.SUBMITTED,), TileState.PENDING, {})

    def record_locations(self, region_key: str, tile_id: str, output: str, failure: str | None) -> None:
        """Keep where the endpoint will write the tile's answer (or failure), whatever its state."""
        values = {"output_location": {"S": output}}
        if failure is not None:
            values["failure_location"] = {"S": failure}
        try:
            with aws_call(f"record the locations of tile {tile_id} in {self.table_name}"):
                self._client.update_item(
                    TableName=self.table_name,
                    Key=_key(region_key, tile_id),
                    UpdateExpression="SET " + ", ".join(f"{name} = :{name}" for name in values),
                    ConditionExpression="attribute_exists(tile_id)",
                    ExpressionAttributeValues={f":{name}": value for name, value in values.items()},
                )
        except ConditionFailedError:
            pass  # the row expired: nothing waits for this tile any more

    def complete(self, region_key: str, tile_id: str, output_location: str | None) -> bool:
        """SUBMITTED -> COMPLETED, with where the answer is when known (else the recorded location);
        False on a duplicate or late notice."""
        values = {"output_location": {"S": output_location}} if output_location else {}
        return self._move(region_key, tile_id, (TileState.SUBMITTED,), TileState.COMPLETED, values)

    def fail(self, region_key: str, tile_id: str, reason: str) -> bool:
        """PENDING or SUBMITTED -> FAILED with the reason; False when the tile already ended."""
        return self._move(
            region_key,
            tile_id,
            (TileState.PENDING, TileState.SUBMITTED),
            TileState.FAILED,
            {"reason": {"S": reason[:MAX_REASON_CHARS] or "failed"}},
        )

    def get(self, region_key: str, tile_id: str) -> TileRecord:
        """The row of one tile (read consistently)."""
        with aws_call(f"read tile {tile_id} from {self.table_name}"):
            answer = self._client.get_item(
                TableName=self.table_name, Key=_key(region_key, tile_id), ConsistentRead=True
            )
        if "Item" not in answer:
            raise KeyError(f"tile {tile_id} of {region_key} is not in {self.table_name}")
        return _record(answer["Item"])

    def tiles(self, region_key: str) -> list[TileRecord]:
        """Every tile row of a region (read consistently)."""
        records: list[TileRecord] = []
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "region_key = :region",
            "ExpressionAttributeValues": {":region": {"S": region_key}},
            "ConsistentRead": True,
        }
        while True:
            with aws_call(f"list tiles of {region_key} in {self.table_name}"):
                answer = self._client.query(**query)
            records.extend(_record(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return records
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _move(
        self,
        region_key: str,
        tile_id: str,
        sources: tuple[TileState, ...],
        target: TileState,
        values: Mapping[str, Any],
        *,
        also: str = "",
    ) -> bool:
        names = {f":from{index}": {"S": state.value} for index, state in enumerate(sources)}
        assignments = ", ".join(["#state = :to", *(f"{name} = :{name}" for name in values)])
        try:
            with aws_call(f"move tile {tile_id} to {target.value} in {self.table_name}"):
                self._client.update_item(
                    TableName=self.table_name,
                    Key=_key(region_key, tile_id),
                    UpdateExpression=f"SET {assignments}",
                    ConditionExpression=f"#state IN ({', '.join(names)})" + (f" AND {also}" if also else ""),
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={
                        ":to": {"S": target.value},
                        **names,
                        **{f":{name}": value for name, value in values.items()},
                    },
                )
        except ConditionFailedError:
            return False
        return True


def _key(region_key: str, tile_id: str) -> dict[str, Any]:
    return {"region_key": {"S": region_key}, "tile_id": {"S": tile_id}}


def _record(item: Mapping[str, Any]) -> TileRecord:
    submitted = item.get("submitted_at", {}).get("N")
    return TileRecord(
        region_key=item["region_key"]["S"],
        tile_id=item["tile_id"]["S"],
        state=TileState(item["state"]["S"]),
        submitted_at=float(submitted) if submitted is not None else None,
        output_location=item.get("output_location", {}).get("S"),
        failure_location=item.get("failure_location", {}).get("S"),
        reason=item.get("reason", {}).get("S", ""),
    )
