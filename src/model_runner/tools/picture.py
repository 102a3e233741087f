"""Drawing features over a picture of their image: outlines coloured by class, and a legend.

Features are drawn from their full-image pixel geometry (``imageGeometry``, else ``imageBBox``),
which every output feature carries, scaled to the picture; no sensor model is needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

PALETTE = (
    (255, 59, 48),
    (52, 199, 89),
    (0, 122, 255),
    (255, 204, 0),
    (175, 82, 222),
    (255, 149, 0),
    (90, 200, 250),
    (255, 45, 85),
    (162, 132, 94),
    (142, 142, 147),
)
"""Class colours, most frequent class first; classes past the palette share its last colour."""
LEGEND_ROWS = 10
UNCLASSIFIED = "(no class)"
Point = tuple[float, float]


@dataclass
class Drawing:
    """What was drawn: features per class, and features without pixel geometry."""

    classes: Counter[str] = field(default_factory=Counter)
    skipped: int = 0

    @property
    def drawn(self) -> int:
        return sum(self.classes.values())


def to_rgb(pixels: NDArray[np.generic]) -> NDArray[np.uint8]:
    """Bands x rows x columns (1 or 3 bands, any type) as rows x columns x RGB bytes, each band
    stretched between its 2nd and 98th percentiles (8-bit bands are kept as they are)."""
    if pixels.dtype != np.uint8:
        values = pixels.astype(np.float32)
        low = np.percentile(values, 2, axis=(1, 2), keepdims=True)
        high = np.percentile(values, 98, axis=(1, 2), keepdims=True)
        scaled = (values - low) / np.maximum(high - low, 1e-9) * 255
        pixels = np.clip(scaled, 0, 255).astype(np.uint8)
    if pixels.shape[0] == 1:
        pixels = np.repeat(pixels, 3, axis=0)
    return np.ascontiguousarray(np.moveaxis(pixels[:3], 0, -1)).astype(np.uint8)


def draw_features(
    picture: Image.Image, features: Sequence[Mapping[str, Any]], scale: tuple[float, float]
) -> Drawing:
    """Outline every feature on ``picture`` in its class colour, then draw the legend."""
    from PIL import ImageDraw

    drawing = Drawing()
    classes = [top_class(feature) for feature in features]
    order = [name for name, _ in Counter(classes).most_common()]
    colours = {name: PALETTE[min(index, len(PALETTE) - 1)] for index, name in enumerate(order)}
    pen = ImageDraw.Draw(picture)
    for feature, name in zip(features, classes, strict=True):
        lines = list(pixel_lines(feature))
        if not lines:
            drawing.skipped += 1
            continue
        drawing.classes[name] += 1
        for line in lines:
            points = [(x * scale[0], y * scale[1]) for x, y in line]
            if len(points) == 1:
                (x, y) = points[0]
                pen.ellipse((x - 2, y - 2, x + 2, y + 2), outline=colours[name], width=1)
            else:
                pen.line(points, fill=colours[name], width=2 if max(picture.size) >= 512 else 1)
    _legend(pen, drawing.classes, colours)
    return drawing


def top_class(feature: Mapping[str, Any]) -> str:
    """The IRI of the feature's highest scoring class."""
    classes = (feature.get("properties") or {}).get("featureClasses") or []
    scored = [item for item in classes if isinstance(item, dict) and isinstance(item.get("iri"), str)]
    if not scored:
        return UNCLASSIFIED
    best = max(scored, key=_score)
    return str(best["iri"])


def _score(feature_class: Mapping[str, Any]) -> float:
    score = feature_class.get("score")
    return float(score) if isinstance(score, int | float) else 0.0


def pixel_lines(feature: Mapping[str, Any]) -> Iterator[list[Point]]:
    """The outlines (rings, lines, single points) of a feature's full-image pixel geometry."""
    properties = feature.get("properties") or {}
    geometry = properties.get("imageGeometry")
    if isinstance(geometry, dict) and geometry.get("coordinates") is not None:
        yield from _lines(geometry["coordinates"])
        return
    box = properties.get("imageBBox")
    if isinstance(box, list) and len(box) == 4 and all(isinstance(value, int | float) for value in box):
        x0, y0, x1, y1 = (float(value) for value in box)
        yield [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def _lines(coordinates: Any) -> Iterator[list[Point]]:
    """Every innermost list of positions in nested GeoJSON coordinates."""
    if not isinstance(coordinates, list) or not coordinates:
        return
    if all(isinstance(value, int | float) for value in coordinates[:2]) and len(coordinates) >= 2:
        yield [(float(coordinates[0]), float(coordinates[1]))]
        return
    if all(isinstance(item, list) and item and isinstance(item[0], int | float) for item in coordinates):
        yield [(float(item[0]), float(item[1])) for item in coordinates if len(item) >= 2]
        return
    for item in coordinates:
        yield from _lines(item)


def _legend(
    pen: ImageDraw.ImageDraw, counts: Counter[str], colours: Mapping[str, tuple[int, int, int]]
) -> None:
    """A box in the top-left corner: a swatch, the class and its count per line."""
    rows = [(name, count, colours[name]) for name, count in counts.most_common(LEGEND_ROWS)]
    if len(counts) > LEGEND_ROWS:
        rest = sum(count for _, count in counts.most_common()[LEGEND_ROWS:])
        rows.append((f"{len(counts) - LEGEND_ROWS} more classes", rest, PALETTE[-1]))
    if not rows:
        rows = [("no features", 0, (255, 255, 255))]
    line_height = 14
    texts = [f"{name} ({count})" for name, count, _ in rows]
    width = 26 + max(int(pen.textlength(text)) for text in texts)
    pen.rectangle((4, 4, 8 + width, 8 + line_height * len(rows)), fill=(0, 0, 0))
    for index, (text, (_, _, colour)) in enumerate(zip(texts, rows, strict=True)):
        top = 7 + index * line_height
        pen.rectangle((9, top + 2, 19, top + 10), fill=colour)
        pen.text((24, top), text, fill=(255, 255, 255))
