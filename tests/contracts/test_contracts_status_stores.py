"""The status stores keep exactly-once semantics under redelivery (DynamoDB and the fakes alike)."""

from __future__ import annotations

from manual_clock import ManualClock

from model_runner.handlers.ports import JobStore, RegionStore
from model_runner.status import Status

CLAIM = {"claimant": "worker-a", "lease_s": 60.0}


def test_a_redelivered_image_request_finds_its_row_instead_of_starting_over(job_store: JobStore) -> None:
    table = job_store
    first, created = table.start_image(
        image_id="img", job_id="job", job_name="demo", image_url="s3://b/k", region_count=2
    )
    assert created and first.status is Status.STARTED and first.job_name == "demo"
    table.record_region("img", "r1", Status.SUCCESS, **CLAIM)

    again, created_again = table.start_image(
        image_id="img", job_id="job", job_name="demo", image_url="s3://b/k", region_count=2
    )
    assert not created_again
    assert again.regions_done == {"r1"}


def test_a_region_counted_twice_counts_once_and_the_last_region_completes_the_image(
    job_store: JobStore,
) -> None:
    table = job_store
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=2)

    record, counted = table.record_region("img", "r1", Status.SUCCESS, **CLAIM)
    assert counted and not record.complete and record.status is Status.IN_PROGRESS
    record, counted = table.record_region("img", "r1", Status.SUCCESS, **CLAIM)
    assert not counted and record.regions_done == {"r1"}

    record, counted = table.record_region("img", "r2", Status.FAILED, **CLAIM)
    assert counted and record.complete
    assert record.region_outcomes == {"r1": Status.SUCCESS, "r2": Status.FAILED}


def test_an_image_gets_exactly_one_terminal_status(job_store: JobStore) -> None:
    table = job_store
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=1)

    assert table.finish_image("img", Status.PARTIAL, "1 of 4 tiles failed")
    assert not table.finish_image("img", Status.FAILED, "late duplicate")
    record = table.get("img")
    assert record.status is Status.PARTIAL and record.message == "1 of 4 tiles failed"
    record, _ = table.record_region("img", "late", Status.SUCCESS, **CLAIM)
    assert record.status is Status.PARTIAL


def test_a_finished_region_keeps_its_outcome_when_its_message_comes_back(region_store: RegionStore) -> None:
    table = region_store
    started = table.start_region("img", "r1")
    assert started.status is Status.IN_PROGRESS

    done, recorded = table.finish_region(
        "img", "r1", Status.PARTIAL, total_tiles=4, failed_tiles=1, failures=["tile x0: HTTP 500"]
    )
    assert recorded and done.status is Status.PARTIAL and done.failures == ("tile x0: HTTP 500",)
    assert done.total_tiles == 4

    assert table.start_region("img", "r1").status is Status.PARTIAL
    again, recorded = table.finish_region(
        "img", "r1", Status.SUCCESS, total_tiles=4, failed_tiles=0, failures=[]
    )
    assert not recorded and again.status is Status.PARTIAL and again.failed_tiles == 1
    assert [region.region_id for region in table.regions_of("img")] == ["r1"]


def test_the_count_that_completes_an_image_holds_its_completion_until_the_claim_runs_out(
    job_store: JobStore, clock: ManualClock
) -> None:
    table = job_store
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=2)
    table.record_region("img", "r1", Status.SUCCESS, claimant="a", lease_s=60)
    record, counted = table.record_region("img", "r2", Status.SUCCESS, claimant="b", lease_s=60)
    assert counted and record.complete

    assert not table.claim_completion("img", "a", 60)  # counted first, but not the last
    assert table.claim_completion("img", "b", 60)  # the holder renews
    clock.advance(59)
    assert not table.claim_completion("img", "a", 60)
    clock.advance(2)  # b's renewal ran out: b died while completing
    assert table.claim_completion("img", "a", 60)
    assert not table.claim_completion("img", "b", 60)


def test_a_duplicate_region_that_lost_the_count_claims_nothing(
    job_store: JobStore, clock: ManualClock
) -> None:
    table = job_store
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=1)
    _, counted = table.record_region("img", "r1", Status.SUCCESS, claimant="first", lease_s=60)
    record, counted_again = table.record_region("img", "r1", Status.SUCCESS, claimant="copy", lease_s=60)

    assert counted and not counted_again and record.complete
    assert not table.claim_completion("img", "copy", 60)
    assert table.claim_completion("img", "first", 60)


def test_no_one_claims_the_completion_of_a_finished_image(job_store: JobStore, clock: ManualClock) -> None:
    table = job_store
    table.start_image(image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=1)
    table.record_region("img", "r1", Status.SUCCESS, claimant="a", lease_s=60)
    assert table.finish_image("img", Status.SUCCESS, "done")

    assert not table.claim_completion("img", "a", 60)
    clock.advance(120)
    assert not table.claim_completion("img", "b", 60)
    assert not table.claim_completion("missing", "b", 60)


def test_the_request_digest_is_kept_with_the_image(job_store: JobStore) -> None:
    record, _ = job_store.start_image(
        image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=1, request_digest="d1"
    )
    again, created = job_store.start_image(
        image_id="img", job_id="job", job_name=None, image_url="a.tif", region_count=3, request_digest="d2"
    )

    assert record.request_digest == "d1"
    assert not created and again.request_digest == "d1" and again.region_count == 1
