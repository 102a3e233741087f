"""The demo's and bench's job flags, and the request keys they set (to name the flag at fault)."""

from __future__ import annotations

from collections.abc import Sequence

FLAG_OF_KEY = {
    "imageProcessorTileSize": "--tile-size",
    "imageProcessorTileOverlap": "--overlap",
    "imageProcessorTileFormat": "--format",
    "imageProcessorTileCompression": "--compression",
}


def in_flag_terms(problems: Sequence[str]) -> str:
    """Request problems as one line, each naming the flag that set the key."""
    text = "; ".join(problems)
    for key, flag in FLAG_OF_KEY.items():
        text = text.replace(key, flag)
    return text
