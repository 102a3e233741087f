"""Operators' tools find a job's images through the job table's index, and still on a table made
without it (the reference's own), in the order the images started."""

from __future__ import annotations

import dataclasses

import boto3
import pytest
from dynamodb_tables import make_table, table_spec

from model_runner.aws.job_table import JobTable
from model_runner.local.provisioning import create_table

pytestmark = pytest.mark.usefixtures("aws")


def start(table: JobTable, clock: list[float], image_id: str, job_id: str) -> None:
    clock[0] += 1
    table.start_image(
        image_id=image_id, job_id=job_id, job_name=None, image_url="s3://b/x.tif", region_count=1
    )


@pytest.mark.parametrize("with_index", [True, False], ids=["job index", "reference table"])
def test_a_jobs_images_come_back_in_the_order_they_started(with_index: bool) -> None:
    spec = table_spec("JOB_TABLE")
    if with_index:
        client = make_table(spec)
    else:
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, dataclasses.replace(spec, indexes=()))
    clock = [1_700_000_000.0]
    table = JobTable(client, spec.name, ttl_days=7, clock=lambda: clock[0])
    for image_id, job_id in [("b", "ports"), ("a", "airfields"), ("c", "ports"), ("z", "ports")]:
        start(table, clock, image_id, job_id)

    assert [record.image_id for record in table.images_of("ports")] == ["b", "c", "z"]
    assert table.images_of("nobody") == []
