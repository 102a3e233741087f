"""The event bus never stalls the processing thread, isolates observers, and loses no status change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from model_runner.events import EventBus, JobCompleted, LifecycleEvent, Progress, TileFailed
from model_runner.status import Status


def completed(image: str) -> JobCompleted:
    return JobCompleted("job", image, Status.SUCCESS, 1.0, 3, "done")


class Recorder:
    def __init__(self) -> None:
        self.events: list[LifecycleEvent] = []

    def on_event(self, event: LifecycleEvent) -> None:
        self.events.append(event)


class Blocked:
    """An observer stuck (as on a hung network call) until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.events: list[LifecycleEvent] = []

    def on_event(self, event: LifecycleEvent) -> None:
        self.release.wait(10)
        self.events.append(event)


def test_a_stuck_observer_delays_neither_the_emitter_nor_the_other_observers() -> None:
    stuck, recorder = Blocked(), Recorder()
    bus = EventBus([stuck, recorder])

    started = time.perf_counter()
    for index in range(100):
        bus.emit(completed(f"img-{index}"))
    emitting_s = time.perf_counter() - started

    assert emitting_s < 0.5
    assert not bus.flush(timeout_s=0.2)  # the stuck one is still behind
    deadline = time.monotonic() + 5
    while len(recorder.events) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [event.image_id for event in recorder.events] == [f"img-{index}" for index in range(100)]
    stuck.release.set()
    assert bus.flush(timeout_s=5)
    assert len(stuck.events) == 100


def test_an_observer_that_raises_is_logged_and_the_others_still_get_every_event() -> None:
    class Faulty:
        def on_event(self, event: LifecycleEvent) -> None:
            raise RuntimeError("observer bug")

    recorder = Recorder()
    bus = EventBus([Faulty(), recorder])

    bus.emit(completed("a"))
    bus.emit(completed("b"))

    assert bus.flush(timeout_s=5)
    assert [event.image_id for event in recorder.events] == ["a", "b"]


def test_when_an_observer_falls_behind_progress_is_dropped_but_no_status_change_is() -> None:
    stuck = Blocked()
    bus = EventBus([stuck], capacity=5)
    emitted: list[str] = []

    def emit_all() -> None:
        for index in range(20):
            bus.emit(TileFailed("job", "img", "r", f"t{index}", "timeout"))
            bus.emit(Progress("job", "img", index, 20))
        for index in range(8):
            bus.emit(completed(f"img-{index}"))
            emitted.append(f"img-{index}")

    emitter = threading.Thread(target=emit_all)
    emitter.start()
    time.sleep(0.3)
    assert len(emitted) < 8  # status changes wait for room rather than being dropped
    stuck.release.set()
    emitter.join(5)

    assert bus.flush(timeout_s=5)
    statuses = [event.image_id for event in stuck.events if isinstance(event, JobCompleted)]
    assert statuses == [f"img-{index}" for index in range(8)]
    assert bus.dropped > 0
    assert len(stuck.events) == 40 + 8 - bus.dropped


def observer_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("observer-")]


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_closing_delivers_what_was_queued_and_ends_the_observers_threads() -> None:
    before = observer_threads()
    first, second = Recorder(), Recorder()
    bus = EventBus([first, second])
    bus.emit(completed("a"))

    assert bus.close(timeout_s=5)
    bus.emit(completed("after"))

    assert [event.image_id for event in first.events] == ["a"]
    assert [event.image_id for event in second.events] == ["a"]
    assert wait_until(lambda: set(observer_threads()) <= set(before))


def test_closing_with_a_stuck_observer_ends_its_thread_once_it_returns_and_emitting_never_waits() -> None:
    before = observer_threads()
    stuck = Blocked()
    bus = EventBus([stuck], capacity=2)
    for index in range(3):  # one being delivered, two queued: full
        bus.emit(completed(f"img-{index}"))

    assert not bus.close(timeout_s=0.2)
    emitter = threading.Thread(target=bus.emit, args=(completed("after"),))
    emitter.start()
    emitter.join(2)
    assert not emitter.is_alive()  # reaches no one, waits for nothing
    stuck.release.set()
    assert wait_until(lambda: set(observer_threads()) <= set(before))
    assert [event.image_id for event in stuck.events] == ["img-0"]  # the queued ones were dropped
