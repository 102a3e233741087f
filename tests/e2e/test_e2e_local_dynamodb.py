"""The local stack's DynamoDB keeps transactions atomic under concurrent requests, as DynamoDB does:
the scheduler's counters and leases are written together, and a half-applied transaction would
leave capacity counted for a lease nobody holds."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from model_runner.local import LocalStack

THREADS = 8
TRANSACTIONS = 40
ROWS = 300


def test_concurrent_transactions_apply_whole_or_not_at_all(stack: LocalStack) -> None:
    dynamodb = stack.boto3_client("dynamodb")
    table = f"atomicity-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    with ThreadPoolExecutor(THREADS) as pool:  # rows make each transaction's copy of the table slow
        list(
            pool.map(
                lambda row: dynamodb.put_item(
                    TableName=table, Item={"k": {"S": f"row-{row}"}, "body": {"S": "x" * 2000}}
                ),
                range(ROWS),
            )
        )

    def add(key: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": table,
                "Key": {"k": {"S": key}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }

    never = {
        "ConditionCheck": {
            "TableName": table,
            "Key": {"k": {"S": "absent"}},
            "ConditionExpression": "attribute_exists(k)",
        }
    }

    def run(thread: int) -> int:
        applied = 0
        for index in range(TRANSACTIONS):
            refused = (thread + index) % 2 == 0
            try:
                dynamodb.transact_write_items(
                    TransactItems=[add("a"), add("b"), *([never] if refused else [])]
                )
                applied += 1
            except ClientError as error:
                assert error.response["Error"]["Code"] == "TransactionCanceledException"
        return applied

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            applied = sum(pool.map(run, range(THREADS)))
        counts = {
            key: int(
                dynamodb.get_item(TableName=table, Key={"k": {"S": key}}, ConsistentRead=True)["Item"]["n"][
                    "N"
                ]
            )
            for key in ("a", "b")
        }
    finally:
        dynamodb.delete_table(TableName=table)

    assert applied == THREADS * TRANSACTIONS // 2
    assert counts == {"a": applied, "b": applied}
