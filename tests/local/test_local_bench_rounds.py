"""The bench's summary of its rounds: medians of rates and ratios, the worst status, the first
round's peak memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_runner.imagery import open_image
from model_runner.local.bench_image import make_image, renamed
from model_runner.local.bench_rounds import summary
from model_runner.tiling import Window

pytestmark = pytest.mark.unit


def _round(status: str, tiles_per_s: float, ratio: float, peak: float, tiles: int = 9) -> dict[str, object]:
    return {
        "status": status,
        "tiles": tiles,
        "tiles_per_s": tiles_per_s,
        "completion_s": None if status != "SUCCESS" else 0.1,
        "peak_rss_mib": peak,
        "pipeline_to_raw": ratio,
    }


def test_one_slow_round_does_not_move_the_figures() -> None:
    rounds = [
        _round("SUCCESS", 300, 0.8, 280),
        _round("SUCCESS", 120, 0.4, 300),
        _round("SUCCESS", 310, 0.82, 310),
    ]

    figures = summary(rounds)

    assert figures["tiles_per_s"] == 300 and figures["pipeline_to_raw"] == 0.8
    assert figures["peak_rss_mib"] == 280  # the first round's, in a process that ran no job before


def test_a_failed_round_fails_the_summary_and_counts_its_tiles() -> None:
    figures = summary([_round("SUCCESS", 300, 0.8, 280), _round("FAILED", 100, 0.3, 290, tiles=4)])

    assert figures["status"] == "FAILED"
    assert figures["tiles"] == 4
    assert figures["completion_s"] == 0.1  # the rounds that have one


def test_no_round_is_refused() -> None:
    with pytest.raises(ValueError, match="no rounds"):
        summary([])


@pytest.mark.parametrize("size", [1024, 40000])
def test_a_renamed_image_reads_the_same_pixels_under_other_names(tmp_path: Path, size: int) -> None:
    image = make_image(tmp_path, size, mosaic_tile=512)

    copy = renamed(image, "round2")

    assert {path.name for path in copy.files}.isdisjoint(path.name for path in image.files)
    assert copy.files[-1].stat().st_ino == image.files[-1].stat().st_ino  # a link: no more disk
    window = Window(size - 600, size - 700, 512, 512)
    with open_image(str(image.path)) as first, open_image(str(copy.path)) as second:
        assert second.files == tuple(str(path) for path in copy.files)
        assert (first.read(window) == second.read(window)).all()
