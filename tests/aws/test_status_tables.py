"""The status tables keep exactly-once semantics under redelivery."""

from __future__ import annotations

from model_runner.aws.endpoint_statistics import EndpointStatisticsTable
from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.status import Status


def test_a_redelivered_image_request_finds_its_row_instead_of_starting_over(job_table: JobTable) -> None:
    table = job_table
    first, created = table.start_image(
        image_id="img", job_id="job", job_name="demo", image_url="s3://b/k", region_count=2
    )
    assert created and first.status is Status.STARTED and first.job_name == "demo"
    table.record_region("img", "r1", Status.SUCCESS)

    again, created_again = table.start_image(
        image_id="img", job_id="job", job_name="demo", image_url="s3://b/k", region_count=2
    )
    assert not created_again
    assert again.regions_done == {"r1"}


def test_a_region_counted_twice_counts_once_and_the_last_region_completes_the_image(
    job_table: JobTable,
) -> None:
    table = job_table
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=2)

    record, counted = table.record_region("img", "r1", Status.SUCCESS)
    assert counted and not record.complete and record.status is Status.IN_PROGRESS
    record, counted = table.record_region("img", "r1", Status.SUCCESS)
    assert not counted and record.regions_done == {"r1"}

    record, counted = table.record_region("img", "r2", Status.FAILED)
    assert counted and record.complete
    assert record.region_outcomes == {"r1": Status.SUCCESS, "r2": Status.FAILED}


def test_an_image_gets_exactly_one_terminal_status(job_table: JobTable) -> None:
    table = job_table
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=1)

    assert table.finish_image("img", Status.PARTIAL, "1 of 4 tiles failed")
    assert not table.finish_image("img", Status.FAILED, "late duplicate")
    record = table.get("img")
    assert record.status is Status.PARTIAL and record.message == "1 of 4 tiles failed"
    record, _ = table.record_region("img", "late", Status.SUCCESS)
    assert record.status is Status.PARTIAL


def test_a_finished_region_keeps_its_outcome_when_its_message_comes_back(region_table: RegionTable) -> None:
    table = region_table
    started = table.start_region("img", "r1", total_tiles=4)
    assert started.status is Status.IN_PROGRESS and started.total_tiles == 4

    done, recorded = table.finish_region(
        "img", "r1", Status.PARTIAL, failed_tiles=1, failures=["tile x0: HTTP 500"]
    )
    assert recorded and done.status is Status.PARTIAL and done.failures == ("tile x0: HTTP 500",)

    assert table.start_region("img", "r1", total_tiles=4).status is Status.PARTIAL
    again, recorded = table.finish_region("img", "r1", Status.SUCCESS, failed_tiles=0, failures=[])
    assert not recorded and again.status is Status.PARTIAL and again.failed_tiles == 1
    assert [region.region_id for region in table.regions_of("img")] == ["r1"]


def test_endpoint_slots_are_taken_up_to_the_limit_and_given_back(
    endpoint_table: EndpointStatisticsTable,
) -> None:
    assert endpoint_table.try_acquire("ep", limit=2)
    assert endpoint_table.try_acquire("ep", limit=2)
    assert not endpoint_table.try_acquire("ep", limit=2)
    assert endpoint_table.in_flight("ep") == 2

    endpoint_table.release("ep")
    assert endpoint_table.try_acquire("ep", limit=2)
    for _ in range(4):
        endpoint_table.release("ep")
    assert endpoint_table.in_flight("ep") == 0
    assert endpoint_table.in_flight("other") == 0
