"""The endpoint statistics table: regions in flight per model endpoint, for self-throttling.

Taking a slot is a conditional increment (only while the count is below the limit), so workers
sharing an endpoint never exceed the limit together; releasing never goes below zero.
"""

from __future__ import annotations

from typing import Any

from model_runner.aws.service_errors import ConditionFailedError, aws_call


class EndpointStatisticsTable:
    """Counts regions in flight per endpoint, through an injected boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def try_acquire(self, endpoint: str, limit: int) -> bool:
        """Take one of ``limit`` slots of ``endpoint``; False when all are taken."""
        try:
            with aws_call(f"take a slot of {endpoint} in {self.table_name}"):
                self._client.update_item(
                    TableName=self.table_name,
                    Key={"endpoint": {"S": endpoint}},
                    UpdateExpression="ADD regions_in_flight :one",
                    ConditionExpression="attribute_not_exists(regions_in_flight) "
                    "OR regions_in_flight < :limit",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)}},
                )
        except ConditionFailedError:
            return False
        return True

    def release(self, endpoint: str) -> None:
        """Give back a slot taken with :meth:`try_acquire`."""
        try:
            with aws_call(f"release a slot of {endpoint} in {self.table_name}"):
                self._client.update_item(
                    TableName=self.table_name,
                    Key={"endpoint": {"S": endpoint}},
                    UpdateExpression="ADD regions_in_flight :minus_one",
                    ConditionExpression="regions_in_flight > :zero",
                    ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
                )
        except ConditionFailedError:
            return

    def in_flight(self, endpoint: str) -> int:
        """Regions in flight on ``endpoint`` now."""
        with aws_call(f"read {endpoint} in {self.table_name}"):
            item = self._client.get_item(
                TableName=self.table_name, Key={"endpoint": {"S": endpoint}}, ConsistentRead=True
            ).get("Item", {})
        return int(item.get("regions_in_flight", {}).get("N", "0"))
