"""The scheduling table keeps its promises on DynamoDB and in memory alike: counters move with
leases, claims are exclusive and bounded by the target, rows are added once, dead leases come back."""

from __future__ import annotations

import dataclasses

import pytest
from manual_clock import ManualClock

from model_runner.handlers.ports import RegionSchedule
from model_runner.scheduling import ClaimOutcome, EndpointLoad, Lease, NewWork

PROCESSOR = '{"processor": {"name": "ep", "type": "SM_ENDPOINT"}, "variant": null}'


def regions(job: str, count: int, tiles: int = 4) -> list[NewWork]:
    return [NewWork(i, f"{job}:img", f"r{i}", job, tiles, f'{{"region": {i}}}') for i in range(count)]


def load(schedule: RegionSchedule, key: str = "ep") -> EndpointLoad:
    return next(item for item in schedule.loads() if item.key == key)


def claim_first(
    schedule: RegionSchedule, clock: ManualClock, owner: str, *, units: int = 2, target: int = 4
) -> Lease | ClaimOutcome:
    free = [row for row in schedule.rows("ep", 25) if row.owner is None]
    return schedule.claim(free[0], owner, units, target, 60.0, clock())


def test_regions_are_added_once_and_counted(schedule: RegionSchedule) -> None:
    assert schedule.add("ep", "job:img", regions("job", 3), PROCESSOR) == 3
    assert schedule.add("ep", "job:img", regions("job", 3), PROCESSOR) == 0  # a redelivered image

    counters = load(schedule)
    assert (counters.pending, counters.leased, counters.used, counters.waiting) == (3, 0, 0, 3)
    assert counters.processor == PROCESSOR
    assert [row.image_id for row in schedule.rows("ep", 25)] == ["job:img"] * 3


def test_a_claim_leases_units_within_the_target_and_finishing_gives_them_back(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "job:img", regions("job", 3), PROCESSOR)

    first = claim_first(schedule, clock, "a")
    second = claim_first(schedule, clock, "b")
    assert isinstance(first, Lease) and isinstance(second, Lease)
    assert first.body == '{"region": 0}' and first.attempts == 1
    assert claim_first(schedule, clock, "c") is ClaimOutcome.FULL  # 2 + 2 of 4 in use
    assert (load(schedule).used, load(schedule).leased) == (4, 2)

    assert schedule.finish(first)
    assert not schedule.finish(first)  # once
    assert (load(schedule).used, load(schedule).leased, load(schedule).pending) == (2, 1, 2)
    assert isinstance(claim_first(schedule, clock, "c"), Lease)


def test_an_idle_endpoint_runs_a_region_larger_than_its_target(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "job:img", regions("job", 2), PROCESSOR)

    alone = claim_first(schedule, clock, "a", units=8, target=4)
    assert isinstance(alone, Lease) and load(schedule).used == 8
    assert claim_first(schedule, clock, "b", units=1, target=4) is ClaimOutcome.FULL


def test_two_workers_racing_for_one_row_get_one_lease(schedule: RegionSchedule, clock: ManualClock) -> None:
    schedule.add("ep", "job:img", regions("job", 1), PROCESSOR)
    row = schedule.rows("ep", 25)[0]

    won = schedule.claim(row, "a", 1, 10, 60.0, clock())
    lost = schedule.claim(row, "b", 1, 10, 60.0, clock())

    assert isinstance(won, Lease) and lost is ClaimOutcome.TAKEN
    assert load(schedule).used == 1


def test_a_released_row_waits_its_delay_and_keeps_its_attempts(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "job:img", regions("job", 1), PROCESSOR)
    lease = claim_first(schedule, clock, "a")
    assert isinstance(lease, Lease)

    assert schedule.release(lease, clock() + 30)
    assert (load(schedule).used, load(schedule).leased, load(schedule).pending) == (0, 0, 1)
    row = schedule.rows("ep", 25)[0]
    assert schedule.claim(row, "b", 2, 4, 60.0, clock()) is ClaimOutcome.TAKEN  # not before 30 s
    clock.advance(31)
    again = schedule.claim(row, "b", 2, 4, 60.0, clock())
    assert isinstance(again, Lease) and again.attempts == 2


def test_a_claim_on_a_view_of_the_row_older_than_its_last_attempt_is_taken(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    """The lease counts the row's attempts without reading it again: a claimer that read the row
    before another worker claimed it and gave it back loses, and claims it again as it is now."""
    schedule.add("ep", "job:img", regions("job", 1), PROCESSOR)
    seen = schedule.rows("ep", 25)[0]
    other = schedule.claim(seen, "a", 2, 4, 60.0, clock())
    assert isinstance(other, Lease) and schedule.release(other, clock())

    assert schedule.claim(seen, "b", 2, 4, 60.0, clock()) is ClaimOutcome.TAKEN
    assert (load(schedule).used, load(schedule).leased) == (0, 0)
    again = schedule.claim(schedule.rows("ep", 25)[0], "b", 2, 4, 60.0, clock())
    assert isinstance(again, Lease) and again.attempts == 2 and again.body == '{"region": 0}'
    assert schedule.rows("ep", 25)[0].attempts == 2


def test_a_dead_workers_lease_runs_out_and_its_units_move_to_the_next_owner(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "job:img", regions("job", 1), PROCESSOR)
    dead = claim_first(schedule, clock, "dead")
    assert isinstance(dead, Lease)
    assert schedule.renew(dead, 60.0)

    held = schedule.rows("ep", 25)[0]
    assert schedule.claim(held, "b", 2, 4, 60.0, clock()) is ClaimOutcome.TAKEN  # still alive
    clock.advance(61)
    taken = schedule.claim(held, "b", 2, 4, 60.0, clock())

    assert isinstance(taken, Lease)
    assert (load(schedule).used, load(schedule).leased) == (2, 1)  # moved, not leaked or doubled
    assert not schedule.renew(dead, 60.0) and not schedule.finish(dead)
    assert schedule.finish(taken)
    assert (load(schedule).used, load(schedule).leased, load(schedule).pending) == (0, 0, 0)


def test_regions_of_jobs_sharing_an_endpoint_interleave_in_rank_order(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "big:img", regions("big", 4), PROCESSOR)
    clock.advance(1)
    schedule.add("ep", "small:img", regions("small", 2), PROCESSOR)

    order = [row.job_id for row in schedule.rows("ep", 25)]
    assert order == ["big", "small", "big", "small", "big", "big"]


def test_a_job_arriving_later_joins_at_the_endpoints_fairness_clock(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "big:img", regions("big", 6), PROCESSOR)
    for _ in range(3):  # the big job's first three regions start
        lease = claim_first(schedule, clock, "w", units=1, target=10)
        assert isinstance(lease, Lease)
        schedule.finish(lease)
    clock.advance(1)
    schedule.add("ep", "late:img", regions("late", 2), PROCESSOR)

    waiting = [row.job_id for row in schedule.rows("ep", 25)]
    assert waiting == ["late", "big", "late", "big", "big"]  # joins the rotation, not the front


def test_a_region_whose_calls_are_done_gives_its_units_back_and_keeps_its_row(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "job:img", regions("job", 2), PROCESSOR)
    lease = claim_first(schedule, clock, "w1", units=3, target=4)
    assert isinstance(lease, Lease)

    kept = schedule.give_back_units(lease)

    assert kept is not None and kept.units == 0
    counters = load(schedule)
    assert (counters.used, counters.leased, counters.pending) == (0, 1, 2)
    assert isinstance(claim_first(schedule, clock, "w2", units=4, target=4), Lease)  # the room is back
    assert schedule.give_back_units(lease) is None  # the units were already given back
    assert schedule.finish(kept)
    assert (load(schedule).used, load(schedule).leased, load(schedule).pending) == (4, 1, 1)


def test_a_claim_takes_over_the_units_of_its_owners_lease_in_the_same_change(
    schedule: RegionSchedule, clock: ManualClock
) -> None:
    schedule.add("ep", "job:img", regions("job", 3), PROCESSOR)
    ending = claim_first(schedule, clock, "w", units=4, target=4)
    assert isinstance(ending, Lease)
    assert claim_first(schedule, clock, "other", units=4, target=4) is ClaimOutcome.FULL

    row = next(row for row in schedule.rows("ep", 25) if row.owner is None)
    following = schedule.claim(row, "w", 4, 4, 60.0, clock(), handover=ending)

    assert isinstance(following, Lease) and following.units == 4
    counters = load(schedule)
    assert (counters.used, counters.leased, counters.pending) == (4, 2, 3)  # moved, not added
    assert schedule.give_back_units(ending) is None  # its units are the following region's now
    assert schedule.finish(dataclasses.replace(ending, units=0))
    assert (load(schedule).used, load(schedule).leased) == (4, 1)
    last = next(row for row in schedule.rows("ep", 25) if row.owner is None)
    assert schedule.claim(last, "w", 4, 4, 60.0, clock(), handover=ending) is ClaimOutcome.TAKEN  # gone
    assert schedule.finish(following)
    assert (load(schedule).used, load(schedule).leased, load(schedule).pending) == (0, 0, 1)


def test_units_pass_only_between_rows_of_one_key(schedule: RegionSchedule, clock: ManualClock) -> None:
    schedule.add("ep", "job:img", regions("job", 1), PROCESSOR)
    schedule.add("other", "job2:img", regions("job2", 1), PROCESSOR)
    ending = claim_first(schedule, clock, "w")
    assert isinstance(ending, Lease)
    row = schedule.rows("other", 25)[0]

    with pytest.raises(ValueError, match="cannot pass"):
        schedule.claim(row, "w", 2, 4, 60.0, clock(), handover=ending)
    assert load(schedule).used == 2 and load(schedule, "other").used == 0
