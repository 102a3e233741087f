"""The scheduling cycle on fakes: capacity is never exceeded, the least-loaded endpoint goes first,
a small job is not starved by a big one, a job alone always runs, dead leases come back, and
throttling is reported."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass

from handler_requests import image_request
from manual_clock import ManualClock

from model_runner.api import ImageProcessor
from model_runner.events import CapacityWait, EndpointThrottled, RegionAdmitted
from model_runner.scheduling import (
    LEASED_CALLS,
    CallPermits,
    EndpointLoad,
    Lease,
    LeasedCalls,
    NewWork,
    WorkRow,
    leased_calls,
    tile_concurrency,
)
from model_runner.testing import InMemoryRegionSchedule, RecordedEvents, fake_settings
from model_runner.testing.context import FixedCapacity
from model_runner.worker.scheduler import ScheduledRegions

LEASE_S = 60.0


def processor(name: str) -> str:
    described = ImageProcessor(name=name).model_dump(by_alias=True, mode="json")
    return json.dumps({"processor": described, "variant": None})


def add_job(schedule: InMemoryRegionSchedule, endpoint: str, job: str, regions: int, tiles: int = 16) -> None:
    work = [
        NewWork(i, f"{job}:img", f"r{i}", job, tiles, f'{{"job": "{job}", "i": {i}}}') for i in range(regions)
    ]
    schedule.add(endpoint, f"{job}:img", work, processor(endpoint))


@dataclass
class Bench:
    schedule: InMemoryRegionSchedule
    clock: ManualClock
    events: RecordedEvents
    capacity: FixedCapacity

    def worker(self, name: str, workers: int = 4) -> ScheduledRegions:
        return ScheduledRegions(
            self.schedule,
            self.capacity,
            fake_settings(WORKERS=str(workers)),
            self.events,
            name,
            clock=self.clock,
            rng=random.Random(name),
        )


def bench(**capacities: int) -> Bench:
    clock = ManualClock()
    return Bench(InMemoryRegionSchedule(clock=clock), clock, RecordedEvents(), FixedCapacity(10, capacities))


def test_calls_in_flight_stay_within_each_endpoints_capacity_and_every_region_runs() -> None:
    """3 endpoints of capacity 2, 4 and 8; 4 workers of 4 tile workers; 30 jobs of mixed sizes."""
    setup = bench(small=2, medium=4, large=8)
    rng = random.Random(7)
    total = 0
    for number in range(30):
        regions = rng.choice([1, 1, 2, 6])
        add_job(setup.schedule, rng.choice(["small", "medium", "large"]), f"job{number}", regions)
        total += regions
    workers = [setup.worker(f"w{index}") for index in range(4)]
    running: dict[str, tuple[Lease, float]] = {}
    done = 0
    for _ in range(2000):
        for worker in workers:
            if worker.url + str(id(worker)) not in running:
                lease = worker.cycle(LEASE_S)
                if lease is not None:
                    running[worker.url + str(id(worker))] = (lease, setup.clock() + 16 / lease.units)
        in_flight: dict[str, int] = {}
        for lease, _ in running.values():
            in_flight[lease.key] = in_flight.get(lease.key, 0) + lease.units
        for key, used in in_flight.items():
            assert used <= setup.capacity.endpoints[key], (key, used)
        setup.clock.advance(0.5)
        for name, (lease, ends) in list(running.items()):
            if ends <= setup.clock():
                assert setup.schedule.finish(lease)
                del running[name]
                done += 1
        if done == total:
            break
    assert done == total
    assert all(load.pending == 0 and load.used == 0 for load in setup.schedule.loads())


def test_the_least_loaded_endpoint_with_waiting_work_goes_first() -> None:
    setup = bench(busy=8, idle=4)
    add_job(setup.schedule, "busy", "old", 4)
    first = setup.worker("a").cycle(LEASE_S)
    assert first is not None and first.key == "busy"  # the only one waiting yet: 4 of 8 in use
    setup.clock.advance(10)
    add_job(setup.schedule, "idle", "new", 1)

    second = setup.worker("b").cycle(LEASE_S)

    assert second is not None and second.key == "idle" and second.job_id == "new"


def test_a_small_job_interleaves_with_a_big_one_on_the_same_endpoint() -> None:
    setup = bench(shared=4)  # one region of 4 tile workers at a time
    add_job(setup.schedule, "shared", "big", 20)
    worker = setup.worker("a")
    order = []
    for step in range(22):
        if step == 2:
            add_job(setup.schedule, "shared", "small", 2)
        lease = worker.cycle(LEASE_S)
        assert lease is not None
        order.append(lease.job_id)
        setup.schedule.finish(lease)

    assert order[:6] == ["big", "big", "small", "big", "small", "big"]
    assert order.count("small") == 2


def test_a_job_alone_on_an_endpoint_smaller_than_a_region_runs_with_the_calls_it_leased() -> None:
    setup = bench(tiny=1)
    add_job(setup.schedule, "tiny", "alone", 2)

    lease = setup.worker("a", workers=4).cycle(LEASE_S)

    assert lease is not None and lease.units == 1
    token = LEASED_CALLS.set(LeasedCalls(CallPermits(lease.units), 1, lambda: None, lambda: None))
    try:
        assert tile_concurrency(4) == 1  # the region runs 1 call at a time, as leased
    finally:
        LEASED_CALLS.reset(token)
    assert setup.worker("b").cycle(LEASE_S) is None  # the second region waits


def test_a_dead_workers_lease_is_taken_over_once_it_runs_out() -> None:
    setup = bench(ep=4)
    add_job(setup.schedule, "ep", "job", 1)
    dead = setup.worker("dead").cycle(LEASE_S)
    assert dead is not None
    survivor = setup.worker("alive")
    assert survivor.cycle(LEASE_S) is None

    setup.clock.advance(LEASE_S + 1)
    taken = survivor.cycle(LEASE_S)

    assert taken is not None and taken.item == dead.item and taken.attempts == 2
    assert [load.used for load in setup.schedule.loads()] == [4]


def test_a_full_endpoint_is_counted_and_its_waiting_images_told_about_once_a_minute() -> None:
    setup = bench(ep=4)
    add_job(setup.schedule, "ep", "first", 1)
    add_job(setup.schedule, "ep", "second", 1)
    assert setup.worker("a").cycle(600) is not None
    waiting = setup.worker("b")

    assert waiting.cycle(LEASE_S) is None
    assert waiting.cycle(LEASE_S) is None
    setup.clock.advance(61)
    assert waiting.cycle(LEASE_S) is None

    throttled = setup.events.of_type(EndpointThrottled)
    assert len(throttled) == 3 and throttled[0].used == 4 and throttled[0].target == 4
    told = setup.events.of_type(CapacityWait)
    assert [event.job_id for event in told] == ["second", "second"]
    assert [event.job_id for event in setup.events.of_type(RegionAdmitted)] == ["first"]


def test_the_lease_is_the_message_renewed_by_the_heartbeat_and_settled_by_the_loop() -> None:
    setup = bench(ep=4)
    add_job(setup.schedule, "ep", "job", 2)
    worker = setup.worker("a")

    [message] = worker.receive(wait_s=0, visibility_s=60)
    assert message.body == json.dumps({"job": "job", "i": 0}) and message.receive_count == 1
    setup.clock.advance(50)
    worker.extend(message, 60)
    setup.clock.advance(50)
    assert setup.worker("b").cycle(LEASE_S) is None  # renewed: not taken over, and the endpoint is full
    worker.release(message, 30)
    assert worker.receive(wait_s=0, visibility_s=60)[0].body == json.dumps({"job": "job", "i": 1})


def test_a_region_down_to_its_last_tiles_hands_its_units_to_the_workers_next_region() -> None:
    """On a full endpoint, the worker whose region is ending starts its next region at once, with
    the same units and permits; no other worker can, and the units stay counted once."""
    setup = bench(ep=4)
    add_job(setup.schedule, "ep", "big", 3)
    worker, other = setup.worker("a"), setup.worker("b")
    [first] = worker.receive(wait_s=0, visibility_s=60)

    with worker.leased(first):
        ending = leased_calls()
        assert ending is not None
        assert worker.receive(wait_s=0, visibility_s=60) == []  # full, and not ending yet
        ending.last_tiles()
        assert worker.next_may_start(first).is_set()
        assert other.cycle(LEASE_S) is None  # the endpoint is still full for everyone else
        [second] = worker.receive(wait_s=0, visibility_s=60)
    assert [(load.used, load.leased) for load in setup.schedule.loads()] == [(4, 2)]

    with worker.leased(second):
        following = leased_calls()
        assert following is not None and following.permits is ending.permits
        assert following.order > ending.order  # the ending region's last calls go first
    worker.give_back_units(first)  # it has none left: nothing changes
    worker.delete(first)
    assert [(load.used, load.leased) for load in setup.schedule.loads()] == [(4, 1)]
    worker.delete(second)
    assert [(load.used, load.leased) for load in setup.schedule.loads()] == [(0, 0)]


def test_units_go_back_only_once_no_call_under_them_is_in_flight() -> None:
    setup = bench(ep=4)
    add_job(setup.schedule, "ep", "big", 2)
    worker = setup.worker("a")
    [first] = worker.receive(wait_s=0, visibility_s=60)
    with worker.leased(first):
        ending = leased_calls()
        assert ending is not None
        ending.last_tiles()
    [second] = worker.receive(wait_s=0, visibility_s=60)

    last_call = ending.permits.call(ending.order)
    last_call.__enter__()  # the first region's last call is still in flight
    giving_back = threading.Thread(target=worker.give_back_units, args=(second,))
    giving_back.start()
    giving_back.join(0.2)
    assert giving_back.is_alive() and setup.schedule.loads()[0].used == 4
    last_call.__exit__(None, None, None)
    giving_back.join(5)
    assert setup.schedule.loads()[0].used == 0


def test_a_region_that_is_not_ending_keeps_its_units_to_itself() -> None:
    setup = bench(ep=8)
    add_job(setup.schedule, "ep", "big", 3)
    worker = setup.worker("a")
    [first] = worker.receive(wait_s=0, visibility_s=60)
    [second] = worker.receive(wait_s=0, visibility_s=60)  # room for two regions of 4

    with worker.leased(first), worker.leased(second):
        pass
    assert [(load.used, load.leased) for load in setup.schedule.loads()] == [(8, 2)]
    assert worker.receive(wait_s=0, visibility_s=60) == []  # full: nothing to take over


class AskedCapacity(FixedCapacity):
    """Capacity that answers only once told to, and says on which threads it was asked."""

    def __init__(self) -> None:
        super().__init__(4)
        self.asked: list[tuple[str, str]] = []
        self.answer = threading.Event()

    def concurrency(self, processor: ImageProcessor, variant: str | None = None) -> int:
        self.asked.append((processor.name, threading.current_thread().name))
        assert self.answer.wait(5)
        return super().concurrency(processor, variant)


def join_capacity_threads(prefix: str = "capacity-") -> None:
    for thread in threading.enumerate():
        if thread.name.startswith(prefix):
            thread.join(5)


def test_an_endpoints_capacity_is_learned_on_a_thread_of_its_own_while_its_image_is_taken_in() -> None:
    capacity = AskedCapacity()
    setup = Bench(InMemoryRegionSchedule(), ManualClock(), RecordedEvents(), capacity)
    worker = setup.worker("a")
    request = image_request(imageProcessor={"name": "ep", "type": "SM_ENDPOINT"})
    queued = image_request(imageProcessor={"name": "queued", "type": "SM_ENDPOINT_ASYNC"})

    worker.taking_in(request)  # returns while SageMaker is still being asked
    worker.taking_in(request)  # being learned: not asked twice
    worker.taking_in(queued)  # asynchronous endpoints are not scheduled
    capacity.answer.set()
    join_capacity_threads()
    assert capacity.asked == [("ep", "capacity-ep")]

    setup.clock.advance(299)
    worker.taking_in(request)  # learned within CAPACITY_CACHE_SECONDS: not asked
    setup.clock.advance(2)
    worker.taking_in(request)
    join_capacity_threads()
    assert capacity.asked == [("ep", "capacity-ep")] * 2


class SlowFor(FixedCapacity):
    """Capacity that answers at once, but for the endpoints in ``slow`` (after ``answer`` is set)."""

    def __init__(self, slow: set[str]) -> None:
        super().__init__(100)
        self.slow = slow
        self.answer = threading.Event()

    def concurrency(self, processor: ImageProcessor, variant: str | None = None) -> int:
        if processor.name in self.slow:
            assert self.answer.wait(5)
        return super().concurrency(processor, variant)


def test_among_idle_endpoints_a_worker_starts_first_one_whose_capacity_it_knows() -> None:
    """A worker that just took an image in knows its endpoint's capacity: it starts that one rather
    than an equally idle endpoint it would have to describe first."""
    capacity = SlowFor({"b"})
    setup = Bench(InMemoryRegionSchedule(), ManualClock(), RecordedEvents(), capacity)
    add_job(setup.schedule, "a", "job-a", 10)
    add_job(setup.schedule, "b", "job-b", 10)
    try:
        for name in [f"w{index}" for index in range(10)]:
            worker = setup.worker(name)
            worker.taking_in(image_request(imageProcessor={"name": "a", "type": "SM_ENDPOINT"}))
            join_capacity_threads(prefix="capacity-a")

            lease = worker.cycle(LEASE_S)

            assert lease is not None and lease.key == "a"
            assert setup.schedule.release(lease, setup.clock())  # both idle again for the next worker
    finally:
        capacity.answer.set()
        join_capacity_threads()


class MeetingSchedule(InMemoryRegionSchedule):
    """A schedule whose read of the counters and read of a key's rows each wait (a while) for the
    other to begin, and say whether it did."""

    def __init__(self) -> None:
        super().__init__()
        self.reading_loads, self.reading_rows = threading.Event(), threading.Event()
        self.met: list[str] = []

    def loads(self) -> list[EndpointLoad]:
        self.reading_loads.set()
        if self.reading_rows.wait(1.0):
            self.met.append("loads")
        return super().loads()

    def rows(self, key: str, limit: int) -> list[WorkRow]:
        self.reading_rows.set()
        if self.reading_loads.wait(1.0):
            self.met.append("rows")
        return super().rows(key, limit)


def test_the_cycle_after_an_image_is_taken_in_reads_its_endpoints_rows_with_the_counters() -> None:
    schedule = MeetingSchedule()
    setup = Bench(schedule, ManualClock(), RecordedEvents(), FixedCapacity(4))
    worker = setup.worker("a")
    worker.taking_in(image_request(imageProcessor={"name": "ep", "type": "SM_ENDPOINT"}))
    add_job(schedule, "ep", "job", 2)  # what the intake adds

    lease = worker.cycle(LEASE_S)

    assert lease is not None and lease.key == "ep"
    assert sorted(schedule.met) == ["loads", "rows"]
    join_capacity_threads()


def test_a_cycle_that_can_start_an_idle_endpoint_does_not_measure_the_busy_ones() -> None:
    """An idle endpoint's load (0) is below any busy one's, whatever their capacity."""
    capacity = SlowFor({"busy"})
    setup = Bench(InMemoryRegionSchedule(), ManualClock(), RecordedEvents(), capacity)
    add_job(setup.schedule, "idle", "job-idle", 2)
    add_job(setup.schedule, "busy", "job-busy", 2)
    row = setup.schedule.rows("busy", 25)[0]
    assert isinstance(setup.schedule.claim(row, "other", 4, 100, LEASE_S, setup.clock()), Lease)
    asked: list[str] = []
    measure = capacity.concurrency

    def asking(processor: ImageProcessor, variant: str | None = None) -> int:
        asked.append(processor.name)
        return measure(processor, variant)

    capacity.concurrency = asking  # type: ignore[method-assign]
    try:
        lease = setup.worker("w").cycle(LEASE_S)
    finally:
        capacity.answer.set()

    assert lease is not None and lease.key == "idle"
    assert "busy" not in asked
