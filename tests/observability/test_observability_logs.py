"""Log lines: a failure's line carries its reason; JSON lines carry UTC time to the millisecond."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from settings_support import REQUIRED_ENV

from model_runner.config import load_settings
from model_runner.events import JobFailed, RegionCompleted, TileFailed
from model_runner.observability import configure_logging
from model_runner.observability.logs import LogObserver
from model_runner.status import Status


@pytest.fixture
def json_log() -> io.StringIO:
    stream = io.StringIO()
    configure_logging(load_settings({**REQUIRED_ENV, "LOG_FORMAT": "json"}), stream)
    yield stream
    logging.getLogger().handlers.clear()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_time_is_utc_to_the_millisecond(json_log: io.StringIO) -> None:
    logging.getLogger("model_runner.test").warning("hello")

    (entry,) = lines(json_log)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(entry["time"])), entry["time"]


def test_failure_lines_say_why(json_log: io.StringIO) -> None:
    observer = LogObserver()
    observer.on_event(
        TileFailed("job-1", "img-1", "reg-1", "tile-7", "tile 0-256: HTTP 500 from http://model: overloaded")
    )
    observer.on_event(JobFailed("job-1", "img-1", "cannot open image s3://b/k.tif: no such object", 1.0))
    observer.on_event(
        RegionCompleted("job-1", "img-1", "reg-1", Status.PARTIAL, 4, 1, 2.0, ("tile 0-0: HTTP 500",))
    )

    messages = [str(entry["message"]) for entry in lines(json_log)]
    assert messages == [
        "TileFailed job-1 image img-1: tile 0-256: HTTP 500 from http://model: overloaded",
        "JobFailed job-1 image img-1: cannot open image s3://b/k.tif: no such object",
        "RegionCompleted job-1 region reg-1: PARTIAL, 1/4 tiles failed (tile 0-0: HTTP 500)",
    ]
