"""GDAL settings every imagery entry point relies on, applied where they are needed.

GDAL's Python bindings only raise exceptions after ``UseExceptions()``; calling it at the top of
each entry point makes this package behave the same whatever was imported first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from osgeo import gdal, osr

from model_runner.security import REDACT, display_url


def use_exceptions() -> None:
    """Make GDAL and OSR raise ``RuntimeError`` on errors instead of returning ``None``."""
    gdal.UseExceptions()
    osr.UseExceptions()


def limit_block_cache(megabytes: int) -> None:
    """Cap GDAL's block cache (by default 5% of the machine's memory) at ``megabytes``."""
    gdal.SetCacheMax(megabytes * 1024 * 1024)


def fetch_blocks_at_once(max_bytes: int) -> None:
    """Let one window read of a network GeoTIFF fetch its blocks in one multi-range request of up
    to ``max_bytes`` (GDAL_MAX_RAW_BLOCK_CACHE_SIZE). GDAL's default is 10 MB, and the blocks of
    a read past it come in further requests one after the other, each waiting out S3's first-byte
    latency: a band of 10240 x 512 pixels (15 MiB) took 8 requests and 255 ms at 30 ms of latency
    instead of 2 and 65 ms."""
    gdal.SetConfigOption("GDAL_MAX_RAW_BLOCK_CACHE_SIZE", str(max_bytes))


@contextmanager
def thread_config_option(key: str, value: str) -> Iterator[None]:
    """Set a GDAL configuration option for the calling thread only, restoring it on exit."""
    previous = gdal.GetThreadLocalConfigOption(key, None)
    gdal.SetThreadLocalConfigOption(key, value)
    try:
        yield
    finally:
        gdal.SetThreadLocalConfigOption(key, previous)


HTTP_RETRY_DELAY_S = 0.5
"""GDAL's first wait before retrying an HTTP request (it grows with each retry)."""

_NO_ANSWER = re.compile(r"CURL error|HTTP (?:error|response) code(?: on \S+)?: (?:0|429|5\d\d)\b")
"""GDAL's messages when the remote image did not answer, or answered 429 or 5xx."""
_SHORT_READ = re.compile(r"got \d+ bytes, expected \d+")
_URL = re.compile(r"https?://[^\s\"'<>]+")
"""A read that came back short: the connection broke off, the file is whole."""


def bound_http_reads(connect_timeout_s: int, read_timeout_s: int, max_retries: int) -> None:
    """Bound every HTTP request GDAL makes (/vsis3, /vsicurl): connect and total time, and retries.

    Without these, a connection that goes silent mid-read leaves GDAL waiting forever.
    """
    for key, value in (
        ("GDAL_HTTP_CONNECTTIMEOUT", str(connect_timeout_s)),
        ("GDAL_HTTP_TIMEOUT", str(read_timeout_s)),
        ("GDAL_HTTP_MAX_RETRY", str(max_retries)),
        ("GDAL_HTTP_RETRY_DELAY", str(HTTP_RETRY_DELAY_S)),
    ):
        gdal.SetConfigOption(key, value)


@contextmanager
def captured_messages() -> Iterator[list[str]]:
    """The messages (warnings and errors) GDAL reports on the calling thread inside the block.

    Exceptions are still raised as usual; the messages say why (GDAL's exception text often names
    only the last symptom, such as a failed block read).
    """
    messages: list[str] = []

    def keep(error_class: int, error_number: int, message: str) -> None:
        messages.append(message)

    gdal.PushErrorHandler(keep)
    try:
        yield messages
    finally:
        gdal.PopErrorHandler()


def unreachable_reason(messages: Iterable[str]) -> str | None:
    """The message that shows the image could not be reached (a fault to retry later), if any:
    the connection's own words rather than the short read they caused."""
    seen = list(messages)
    for pattern in (_NO_ANSWER, _SHORT_READ):
        found = next((message for message in seen if pattern.search(message)), None)
        if found is not None:
            return REDACT(_URL.sub(lambda url: display_url(url.group()), found))
    return None
