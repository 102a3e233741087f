"""The worker's DynamoDB tables as the local stack creates them, in in-process moto (contract tests)."""

from __future__ import annotations

from typing import Any

import boto3

from model_runner.local.provisioning import create_table
from model_runner.resources import RESOURCES, TableSpec


def make_table(spec: TableSpec) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_table(client, spec)
    return client


def table_spec(setting: str) -> TableSpec:
    return next(spec for spec in RESOURCES.tables if spec.setting == setting)
