"""``model-runner check-model``: a model container (or SageMaker endpoint) against the model contract.

It asks ``GET /ping`` (SageMaker: the endpoint is InService), then sends a generated tile in each
tile format and size the worker can send, as a plain body and (HTTP) once as a chunked body, and
checks each answer with the worker's own parser, timing every call. It prints one line per check,
PASS, WARN or FAIL, naming the keys at fault; exit status 0 when nothing failed, 1 otherwise, and 2
for a mistake in the command line. See docs/model-developers.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol, TextIO

import numpy as np
from numpy.typing import NDArray

from model_runner.imagery import TileCompression, TileFormat, content_type, encode_tile
from model_runner.tools.command_error import CommandError
from model_runner.tools.model_contract import Finding, check_answer
from model_runner.tools.model_targets import HttpTarget, SageMakerTarget

SAGEMAKER_MAX_BODY = 6 * 1024 * 1024
"""SageMaker real-time endpoints refuse request bodies larger than this."""
SAGEMAKER_MAX_SECONDS = 60.0
"""SageMaker real-time endpoints give up on answers slower than this."""
MIN_TILE, MAX_TILE = 16, 8192
CHUNK_BYTES = 64 * 1024
CHUNKED_FORMAT, CHUNKED_SIZE = TileFormat.GTIFF, 512


class Target(Protocol):
    """Where the tiles go: an HTTP container or a SageMaker endpoint."""

    name: str
    supports_chunked: bool

    def ping(self) -> Finding: ...

    def invoke(self, body: bytes, mime: str, *, chunk_bytes: int | None = None) -> tuple[int, bytes]:
        """Send one tile; (HTTP status, answer body). ``chunk_bytes``: send it chunked."""
        ...


def run_check_model(args: argparse.Namespace, environ: Mapping[str, str], out: TextIO) -> int:
    """Run every check against the target the arguments name; 0 when nothing failed.

    Raises:
        CommandError: no target or two, a URL that is not http(s), bad sizes or timeout.
    """
    if (args.url is None) == (args.sagemaker is None):
        raise CommandError("give the model's URL, or --sagemaker ENDPOINT (one of the two)")
    if args.timeout <= 0:
        raise CommandError(f"--timeout {args.timeout:g}: give a positive number of seconds")
    sizes = parse_sizes(args.sizes)
    target: Target
    if args.url is not None:
        if not args.url.startswith(("http://", "https://")):
            raise CommandError(
                f"{args.url}: give an http:// or https:// URL (the container's base or /invocations)"
            )
        target = HttpTarget(args.url, args.timeout, environ)
    else:
        target = SageMakerTarget(args.sagemaker, environ)
    print(f"checking {target.name} against the model contract", file=out)
    findings: list[Finding] = []
    for finding in check_model(target, sizes):
        if finding.level == "WARN" and any(seen.detail == finding.detail for seen in findings):
            continue  # the same warning for every tile: said once
        findings.append(finding)
        print(f"{finding.level:<5} {finding.check:<22} {finding.detail}", file=out, flush=True)
    counts = {
        level: sum(finding.level == level for finding in findings) for level in ("PASS", "WARN", "FAIL")
    }
    print(f"result: {counts['PASS']} passed, {counts['WARN']} warnings, {counts['FAIL']} failed", file=out)
    return 1 if counts["FAIL"] else 0


def parse_sizes(text: str) -> list[int]:
    """Tile sizes from ``256,512``.

    Raises:
        CommandError: not whole numbers, or out of range.
    """
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(
            f"--sizes {text}: give whole numbers of pixels, comma-separated (256,512)"
        ) from None
    if not sizes or any(not MIN_TILE <= size <= MAX_TILE for size in sizes):
        raise CommandError(f"--sizes {text}: each size must be between {MIN_TILE} and {MAX_TILE} pixels")
    return sizes


def check_model(target: Target, sizes: Sequence[int]) -> Iterator[Finding]:
    """Every check, in order; stops after the ping when nothing answers."""
    ping = target.ping()
    yield ping
    if ping.level == "FAIL":
        return
    timings: list[tuple[float, str]] = []
    for size in sizes:
        pixels = sample_pixels(size)
        for tile_format in TileFormat:
            check = f"{tile_format.value} {size}x{size}"
            body = encode_tile(pixels, tile_format, TileCompression.NONE)
            yield from _send(target, check, body, content_type(tile_format), size, timings)
    if target.supports_chunked:
        body = encode_tile(sample_pixels(CHUNKED_SIZE), CHUNKED_FORMAT, TileCompression.NONE)
        check = f"chunked {CHUNKED_FORMAT.value} {CHUNKED_SIZE}"
        for finding in _send(
            target, check, body, content_type(CHUNKED_FORMAT), CHUNKED_SIZE, [], CHUNK_BYTES
        ):
            refused = finding.level == "FAIL" and finding.detail.startswith("HTTP ")
            hint = "; the container must accept Transfer-Encoding: chunked" if refused else ""
            yield Finding(finding.level, finding.check, finding.detail + hint)
    if timings:
        slowest, which = max(timings)
        median = statistics.median(seconds for seconds, _ in timings)
        yield Finding(
            "PASS",
            "timing",
            f"{len(timings)} answers, median {median * 1000:.0f} ms, slowest "
            f"{slowest * 1000:.0f} ms ({which})",
        )


def _send(
    target: Target,
    check: str,
    body: bytes,
    mime: str,
    size: int,
    timings: list[tuple[float, str]],
    chunk_bytes: int | None = None,
) -> Iterator[Finding]:
    if len(body) > SAGEMAKER_MAX_BODY:
        megabytes = f"{len(body) / 2**20:.1f} MB"
        if not target.supports_chunked:
            yield Finding("WARN", check, f"not sent: {megabytes} is over SageMaker's 6 MB request limit")
            return
        yield Finding("WARN", check, f"{megabytes}: a SageMaker endpoint would refuse it (6 MB limit)")
    started = time.perf_counter()
    status, answer = target.invoke(body, mime, chunk_bytes=chunk_bytes)
    seconds = time.perf_counter() - started
    findings = check_answer(check, status, answer, size)
    if findings[0].level == "PASS":
        timings.append((seconds, check))
        findings[0] = Finding("PASS", check, f"HTTP 200 in {seconds * 1000:.0f} ms, {findings[0].detail}")
    if seconds > SAGEMAKER_MAX_SECONDS:
        findings.append(Finding("FAIL", check, f"answered in {seconds:.0f} s: over SageMaker's 60 s limit"))
    yield from findings


def sample_pixels(size: int) -> NDArray[np.uint8]:
    """A 3-band 8-bit tile with gradients and texture (a blank tile may not exercise a model)."""
    rows, columns = np.mgrid[0:size, 0:size]
    texture = (np.sin(rows / 7.0) * np.cos(columns / 11.0) * 60).astype(np.int16)
    bands = [
        (rows * 255 // max(size - 1, 1)) + texture,
        (columns * 255 // max(size - 1, 1)) - texture,
        ((rows + columns) * 127 // max(size - 1, 1)) + texture,
    ]
    pixels: NDArray[np.uint8] = np.clip(np.stack(bands), 0, 255).astype(np.uint8)
    return pixels
