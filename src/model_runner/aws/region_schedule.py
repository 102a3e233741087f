"""The scheduling table: endpoints' capacity counters and one work row per region to run.

Layout (partition key ``endpoint``, sort key ``item``; see docs/scheduling.md):

* ``#endpoints`` / <key>: ``pending`` work rows, ``leased`` rows, ``used`` units, ``round`` (the
  fairness clock: the rank of the last row claimed);
* <key> / ``i#<image id>``: where the image's rows start (``base`` rank, ``arrival``), written once,
  so a redelivered image request finds the same row keys;
* <key> / ``w#<rank>#<arrival>#<image id>#<region id>``: a region's body, and its lease while held.

Every change of a lease changes the key's counters in the same transaction, so ``used`` is always
the units of the rows leased, whatever worker dies when. Cycles Query one partition at a time:
nothing is scanned.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from model_runner.aws.schedule_items import (
    IMAGE_PREFIX,
    ROW_FIELDS,
    image_start,
    item_key,
    new_work,
    number_of,
    put_if_absent,
    transaction_chunks,
    work_row,
)
from model_runner.aws.service_errors import ConditionFailedError, all_pages, aws_call, error_code
from model_runner.ordered_ahead import call_ahead
from model_runner.scheduling import ClaimOutcome, EndpointLoad, Lease, NewWork, WorkRow, work_item
from model_runner.scheduling.work import WORK_PREFIX

ENDPOINTS = "#endpoints"


class RegionScheduleTable:
    """The scheduling table, through an injected boto3 DynamoDB client."""

    def __init__(
        self, client: Any, table_name: str, ttl_days: int = 7, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self.table_name = table_name
        self._ttl_s = ttl_days * 24 * 3600
        self._clock = clock

    # --- adding work -------------------------------------------------------------------------
    def add(self, key: str, image_id: str, work: Sequence[NewWork], processor: str) -> int:
        """Add the image's regions to ``key`` unless they are there; how many were added.

        The image's start (the rank and arrival of its first row, fixed when it first comes) goes
        in with its first rows, in one transaction; a redelivered image finds its start there and
        adds only the rows that are missing."""
        with aws_call(f"read the counters of {key} in {self.table_name}"):
            counters = self._client.get_item(
                TableName=self.table_name, Key=item_key(ENDPOINTS, key), ConsistentRead=True
            ).get("Item", {})
        round_now = counters.get("round", {}).get("N", "0")
        start = image_start(key, image_id, round_now, int(self._clock() * 1000), self._clock() + self._ttl_s)
        try:
            return self._add_rows(key, image_id, work, processor, start, with_start=True)
        except _CancelledError:  # the image came before (its rows exist only after its start)
            with aws_call(f"read image {image_id} at {key}"):
                start = self._client.get_item(
                    TableName=self.table_name, Key=item_key(key, IMAGE_PREFIX + image_id), ConsistentRead=True
                )["Item"]
            return self._add_rows(key, image_id, work, processor, start, with_start=False)

    def _add_rows(
        self,
        key: str,
        image_id: str,
        work: Sequence[NewWork],
        processor: str,
        start: dict[str, Any],
        *,
        with_start: bool,
    ) -> int:
        """Add the rows of ``work`` placed by the image's ``start``; ``with_start``: put the start
        in the first transaction, which is cancelled (raised) if the image has one already."""
        base, arrival_ms = int(start["base"]["N"]), int(start["arrival"]["N"])
        now = self._clock()
        rows = [
            (
                work_item(base + region.index, arrival_ms, image_id, region.region_id),
                new_work(key, region, now, base + region.index, arrival_ms, now + self._ttl_s),
            )
            for region in work
        ]
        added = 0
        for chunk in transaction_chunks(rows):
            actions = self._puts(key, chunk, processor)
            if with_start:
                actions.insert(0, put_if_absent(self.table_name, start))
            try:
                self._transact(f"add {len(chunk)} regions of {image_id} to {key}", actions)
                added += len(chunk)
            except _CancelledError:
                if with_start:
                    raise
                for row in chunk:  # a redelivery: some rows exist; add the others one by one
                    try:
                        self._transact(
                            f"add a region of {image_id} to {key}", self._puts(key, [row], processor)
                        )
                        added += 1
                    except _CancelledError:
                        continue
            with_start = False
        return added

    def _puts(
        self, key: str, rows: Sequence[tuple[str, dict[str, Any]]], processor: str
    ) -> list[dict[str, Any]]:
        actions = [put_if_absent(self.table_name, row) for _, row in rows]
        actions.append(
            self._counters(
                key,
                "SET processor = :processor ADD pending :n",
                {":n": {"N": str(len(rows))}, ":processor": {"S": processor}},
            )
        )
        return actions

    # --- reading -----------------------------------------------------------------------------
    def loads(self) -> list[EndpointLoad]:
        """Every key's counters (one Query of one partition)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "endpoint = :endpoints",
            "ExpressionAttributeValues": {":endpoints": {"S": ENDPOINTS}},
            "ConsistentRead": True,
        }
        loads = []
        for page in all_pages(self._client.query, request, "read the endpoints' counters"):
            for item in page.get("Items", []):
                loads.append(
                    EndpointLoad(
                        key=item["item"]["S"],
                        pending=number_of(item, "pending"),
                        leased=number_of(item, "leased"),
                        used=number_of(item, "used"),
                        round=number_of(item, "round"),
                        processor=item.get("processor", {}).get("S", ""),
                    )
                )
        return loads

    def rows(self, key: str, limit: int) -> list[WorkRow]:
        """The first ``limit`` work rows of ``key`` in fair order, without their bodies."""
        with aws_call(f"read the work of {key}"):
            page = self._client.query(
                TableName=self.table_name,
                KeyConditionExpression="endpoint = :key AND begins_with(#item, :work)",
                ExpressionAttributeValues={":key": {"S": key}, ":work": {"S": WORK_PREFIX}},
                ExpressionAttributeNames={"#item": "item", "#owner": "owner"},
                ProjectionExpression=ROW_FIELDS,
                ConsistentRead=True,
                Limit=limit,
            )
        return [work_row(key, item) for item in page.get("Items", [])]

    # --- leases ------------------------------------------------------------------------------
    def claim(
        self,
        row: WorkRow,
        owner: str,
        units: int,
        target: int,
        lease_s: float,
        now: float,
        handover: Lease | None = None,
    ) -> Lease | ClaimOutcome:
        """Lease ``row`` for ``units`` if the key's target has room (or nothing runs there), or
        take it over if its lease ran out; with ``handover``, its units pass to ``row`` in the same
        transaction; otherwise why not.

        The row's body is read while the transaction runs (a body never changes), and the row must
        still have the ``attempts`` it was read with (so the lease's count is ``row.attempts + 1``
        without reading the row again): the claim costs the transaction's round trip only."""
        if handover is not None and handover.key != row.key:
            raise ValueError(f"units of {handover.key} cannot pass to a row of {row.key}")
        takeover = row.owner is not None
        delta = (units - row.units if takeover else units) - (handover.units if handover else 0)
        row_update: dict[str, Any] = {
            "Update": {
                "TableName": self.table_name,
                "Key": item_key(row.key, row.item),
                "UpdateExpression": "SET #owner = :me, lease_expires = :expires, units = :units "
                "ADD attempts :one REMOVE not_before",
                "ConditionExpression": "attempts = :seen AND "
                + (
                    "#owner = :old AND lease_expires < :now"
                    if takeover
                    else "attribute_exists(#item) AND attribute_not_exists(#owner) "
                    "AND (attribute_not_exists(not_before) OR not_before <= :now)"
                ),
                "ExpressionAttributeNames": {"#owner": "owner", **({} if takeover else {"#item": "item"})},
                "ExpressionAttributeValues": {
                    ":me": {"S": owner},
                    ":expires": {"N": repr(now + lease_s)},
                    ":units": {"N": str(units)},
                    ":one": {"N": "1"},
                    ":seen": {"N": str(row.attempts)},
                    ":now": {"N": repr(now)},
                    **({":old": {"S": row.owner}} if row.owner is not None else {}),
                },
            }
        }
        counters = self._counters(
            row.key,
            "SET #round = :rank ADD used :delta, leased :leased",
            {
                ":rank": {"N": str(row.rank)},
                ":delta": {"N": str(delta)},
                ":leased": {"N": "0" if takeover else "1"},
                ":room": {"N": str(target - delta)},
                ":zero": {"N": "0"},
            },
            condition="attribute_not_exists(used) OR used <= :room OR used = :zero",
            names={"#round": "round"},
        )
        actions = [counters, row_update]
        if handover is not None:
            actions.append(self._units_update(handover, 0))
        read_body = partial(self._body_of, row)
        early = call_ahead(read_body, f"read-{row.item[:24]}")
        try:
            self._transact(f"claim {row.item} of {row.key}", actions)
        except _CancelledError as cancelled:
            return ClaimOutcome.FULL if cancelled.failed == 0 else ClaimOutcome.TAKEN
        body = early.result() or read_body()  # again if the row was added back since (a redelivery)
        if body is None:
            return ClaimOutcome.TAKEN
        return Lease(
            key=row.key,
            item=row.item,
            owner=owner,
            units=units,
            attempts=row.attempts + 1,
            body=body,
            job_id=row.job_id,
            image_id=row.image_id,
            enqueued=row.enqueued,
        )

    def _body_of(self, row: WorkRow) -> str | None:
        """The body of ``row`` (None when it is gone)."""
        with aws_call(f"read {row.item} of {row.key}"):
            item = self._client.get_item(
                TableName=self.table_name,
                Key=item_key(row.key, row.item),
                ProjectionExpression="body",
                ConsistentRead=True,
            ).get("Item")
        return None if item is None else str(item["body"]["S"])

    def renew(self, lease: Lease, lease_s: float) -> bool:
        """Extend the lease by ``lease_s`` from now; False when it is no longer ``lease.owner``'s."""
        try:
            with aws_call(f"renew the lease of {lease.item}"):
                self._client.update_item(
                    TableName=self.table_name,
                    Key=item_key(lease.key, lease.item),
                    UpdateExpression="SET lease_expires = :expires",
                    ConditionExpression="#owner = :me",
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues={
                        ":expires": {"N": repr(self._clock() + lease_s)},
                        ":me": {"S": lease.owner},
                    },
                )
        except ConditionFailedError:
            return False
        return True

    def release(self, lease: Lease, not_before: float) -> bool:
        """Give the row back (claimable again from ``not_before``) and its units; False when the
        lease was no longer held."""
        row = {
            "Update": {
                "TableName": self.table_name,
                "Key": item_key(lease.key, lease.item),
                "UpdateExpression": "SET not_before = :later REMOVE #owner, lease_expires, units",
                "ConditionExpression": "#owner = :me",
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {":me": {"S": lease.owner}, ":later": {"N": repr(not_before)}},
            }
        }
        return self._give_back(lease, row, "ADD used :minus, leased :minus_one", f"release {lease.item}")

    def give_back_units(self, lease: Lease) -> Lease | None:
        """Keep the row leased with no units, and give its units back; None when no longer held."""
        if lease.units == 0:
            return lease
        counters = self._counters(lease.key, "ADD used :minus", {":minus": {"N": str(-lease.units)}})
        try:
            self._transact(f"give back the units of {lease.item}", [self._units_update(lease, 0), counters])
        except _CancelledError:
            return None
        return dataclasses.replace(lease, units=0)

    def _units_update(self, lease: Lease, units: int) -> dict[str, Any]:
        """Set the units of ``lease``'s row, if ``lease.owner`` still holds it with ``lease.units``."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": item_key(lease.key, lease.item),
                "UpdateExpression": "SET units = :new",
                "ConditionExpression": "#owner = :me AND units = :units",
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {
                    ":me": {"S": lease.owner},
                    ":units": {"N": str(lease.units)},
                    ":new": {"N": str(units)},
                },
            }
        }

    def finish(self, lease: Lease) -> bool:
        """Delete the done row and give its units back; False when the lease was no longer held."""
        row = {
            "Delete": {
                "TableName": self.table_name,
                "Key": item_key(lease.key, lease.item),
                "ConditionExpression": "#owner = :me",
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": {":me": {"S": lease.owner}},
            }
        }
        return self._give_back(
            lease, row, "ADD used :minus, leased :minus_one, pending :minus_one", f"finish {lease.item}"
        )

    def _give_back(self, lease: Lease, row: dict[str, Any], update: str, what: str) -> bool:
        counters = self._counters(
            lease.key, update, {":minus": {"N": str(-lease.units)}, ":minus_one": {"N": "-1"}}
        )
        try:
            self._transact(what, [row, counters])
        except _CancelledError:
            return False
        return True

    # --- plumbing ----------------------------------------------------------------------------
    def _counters(
        self,
        key: str,
        update: str,
        values: dict[str, Any],
        *,
        condition: str | None = None,
        names: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        action: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": item_key(ENDPOINTS, key),
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
        if condition is not None:
            action["ConditionExpression"] = condition
        if names:
            action["ExpressionAttributeNames"] = names
        return {"Update": action}

    def _transact(self, what: str, actions: list[dict[str, Any]]) -> None:
        """One transaction; :class:`_CancelledError` (naming the failed action) when a condition failed."""
        with aws_call(what):
            try:
                self._client.transact_write_items(TransactItems=actions)
            except ClientError as error:
                codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if (
                    error_code(error) != "TransactionCanceledException"
                    or "ConditionalCheckFailed" not in codes
                ):
                    raise
                raise _CancelledError(what, codes.index("ConditionalCheckFailed")) from None


class _CancelledError(Exception):
    """A transaction whose ``failed``-th action's condition did not hold."""

    def __init__(self, what: str, failed: int) -> None:
        super().__init__(what)
        self.failed = failed
