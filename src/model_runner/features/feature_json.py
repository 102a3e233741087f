"""Output features written straight from columns to JSON text, a batch at a time.

The text is byte for byte what :func:`~model_runner.features.output.output_feature` gives encoded
compactly (the reference's property set and order, its 15-digit pixel coordinates, the ids of
:func:`~model_runner.features.output.identity_of`), but numbers are formatted a whole batch at a
time and each feature is assembled from pieces: its geometry's skeleton template filled with its
positions, the model's properties (stored once per distinct set), the image's constant
annotations. A feature whose properties would interleave with the added ones (a model property
or a featureProperties key named like one of them) is built as a dict by ``output_feature``
instead, so every rule of the output lives in one place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from model_runner.errors import ModelRunnerError, QueueAction
from model_runner.features.array_types import FloatArray
from model_runner.features.detected_feature import DetectedFeature
from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.encoded_features import EncodedFeatures
from model_runner.features.geometry_skeleton import skeleton
from model_runner.features.output import Located, OutputContext, output_feature
from model_runner.features.pixel_feature import FeatureClass

ADDED_PROPERTIES = frozenset(
    {
        "imageGeometry",
        "imageBBox",
        "featureClasses",
        "center_longitude",
        "center_latitude",
        "inferenceMetadata",
    }
)
_IRI = re.compile(r'\{"iri":("(?:[^"\\]|\\.)*")')
_FEATURE_HEAD = '{"type":"Feature","id":"'


class UnwritablePropertiesError(ModelRunnerError):
    """The request's featureProperties hold a value JSON cannot carry (NaN, infinity)."""

    action = QueueAction.FAIL_JOB


def compact_json(value: Any) -> str:
    """Compact JSON as the sinks write it (UTF-8 text, no NaN or infinity: ValueError)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True, eq=False)
class Geolocated:
    """Where a batch of detections lies: each position's [longitude, latitude, height] in the order
    the output writes them (rings already turned where asked), each geometry's bbox and centre,
    and whether its sensor model located it (features it did not are left out)."""

    world: FloatArray
    bounds: FloatArray
    centres: FloatArray
    located: npt.NDArray[np.bool_]


def full_image_positions(columns: DetectionColumns) -> FloatArray:
    """(P, 2) the detections' positions moved to full-image pixels, to the reference's 15 digits."""
    return reference_digits(columns.positions + np.repeat(columns.tiles, columns.position_counts, axis=0))


def reference_digits(values: FloatArray) -> FloatArray:
    """``values`` each kept to 15 significant digits, as the reference writes pixel coordinates
    (through its GEOS GeoJSON writer): a tile's 259.4297 moved by 1074 pixels is written
    1333.4297, not 1333.4297000000001.

    A value whose shortest text (orjson's, for the whole array at once) has at most 15 digits is
    kept as it is: its 15-digit rounding reads back as itself. Only the longer ones are rounded,
    through ``%.15g``."""
    flat = np.ascontiguousarray(values, np.float64).reshape(-1)
    texts = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",") if len(flat) else []
    lengths = np.fromiter(map(len, texts), np.intp, len(texts)) - (flat < 0)
    long = np.flatnonzero(lengths > _SHORT_TEXT)
    kept = flat.copy()
    if len(long):
        rounded = ("%.15g " * len(long)) % tuple(flat[long].tolist())
        kept[long] = np.fromiter(map(float, rounded.split()), np.float64, len(long))
    return kept.reshape(values.shape)


_SHORT_TEXT = 16
"""Characters of a number's text (sign aside) that hold at most 15 digits: digits and a point."""


def render_features(
    columns: DetectionColumns,
    pixels: FloatArray,
    geolocated: Geolocated | None,
    context: OutputContext,
) -> EncodedFeatures:
    """The output features of ``columns`` (in that order) with their base ids; ``pixels`` their
    :func:`full_image_positions`; ``geolocated`` None for an image without georeferencing (the
    features stay in pixels), otherwise the features it did not locate are left out.

    Numbers are written once per distinct value, and the features of a batch are assembled by
    a few string formattings over the whole batch, not one by one.

    Raises:
        UnwritablePropertiesError: the request's featureProperties cannot be written as JSON.
    """
    annotations = _Annotations.of(context, columns.property_texts)
    boxes = reference_digits(columns.boxes)
    positions = _with_extras(position_texts(pixels), _extras(columns))
    classes, tops = _classes(columns)
    values: dict[str, list[str]] = {
        "id": _ids(context.image_id, tops, boxes),
        "image_geometry": _filled(columns, positions),
        "image_bbox": position_texts(boxes),
        "classes": classes,
    }
    rows = np.arange(len(columns), dtype=np.intp)
    bounds = np.full((len(columns), 4), np.nan)
    if geolocated is not None:
        rows = np.flatnonzero(geolocated.located).astype(np.intp)
        bounds = geolocated.bounds
        values["geometry"] = _filled(columns, position_texts(geolocated.world))
        values["bbox"] = position_texts(geolocated.bounds)
        centres = number_texts(geolocated.centres)
        values["lon"], values["lat"] = centres[0::2], centres[1::2]
    prefixes = [annotations.prefixes[index] for index in columns.property_ids.tolist()]
    texts = [""] * len(columns)
    plain = [row for row in rows.tolist() if prefixes[row] is not None]
    for row, text in zip(plain, _assembled(plain, values, prefixes, annotations.suffix), strict=True):
        texts[row] = text
    for row in sorted(set(rows.tolist()) - set(plain)):  # properties named like the added ones
        texts[row] = _as_dict(columns, row, values, geolocated, context)
    return EncodedFeatures.of([texts[row] for row in rows.tolist()], columns.order_keys()[rows], bounds[rows])


_PLAIN_FEATURE = (
    '{"type":"Feature","id":"%s","geometry":%s,"bbox":%s,"properties":{%s"imageGeometry":%s,'
    '"imageBBox":%s,"featureClasses":%s,"center_longitude":%s,"center_latitude":%s'
)
_PIXEL_FEATURE = (
    '{"type":"Feature","id":"%s","geometry":null,"properties":{%s"imageGeometry":%s,"imageBBox":%s,'
    '"featureClasses":%s'
)


def _assembled(
    rows: list[int], values: dict[str, list[str]], prefixes: list[str | None], suffix: str
) -> list[str]:
    """The JSON of the features at ``rows``, whose properties start with their ``prefixes``."""
    if not rows:
        return []
    fields: tuple[str, ...]
    if "geometry" in values:
        fields = ("id", "geometry", "bbox", "", "image_geometry", "image_bbox", "classes", "lon", "lat")
        template = _PLAIN_FEATURE
    else:
        fields = ("id", "", "image_geometry", "image_bbox", "classes")
        template = _PIXEL_FEATURE
    columns = [
        [prefixes[row] for row in rows] if not name else [values[name][row] for row in rows]
        for name in fields
    ]
    arguments: list[str | None] = [None] * (len(fields) * len(rows))
    for position, column in enumerate(columns):
        arguments[position :: len(fields)] = column
    line = template + suffix.replace("%", "%%") + "\n"
    return (line * len(rows) % tuple(arguments)).split("\n")[:-1]


def number_texts(values: FloatArray) -> list[str]:
    """Each value written as Python writes a float (so as JSON). orjson formats the whole array at
    once, exactly as ``repr`` does between 1e-4 and 1e16 (and zero); the few values outside that
    range (written with an exponent, which orjson spells differently) and non-finite ones are
    written by ``repr``."""
    if not values.size:
        return []
    flat = np.ascontiguousarray(values, np.float64).reshape(-1)
    texts = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")
    for index in np.flatnonzero(_spelled_apart(flat)).tolist():
        texts[index] = repr(float(flat[index]))
    return texts


def position_texts(values: FloatArray) -> list[str]:
    """Each row of ``values`` (N, W) (positions, boxes) as a compact JSON array of its numbers,
    written as :func:`number_texts` writes them. orjson writes the whole array, whose rows are
    cut apart in two passes over its text; a row holding a number orjson spells apart from
    ``repr`` is written again by ``repr``."""
    if not len(values):
        return []
    rows = np.ascontiguousarray(values, np.float64)
    text = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    texts = text[1:-1].replace("],[", "]\n[").split("\n")
    for row in np.flatnonzero(_spelled_apart(rows).any(axis=1)).tolist():
        texts[row] = "[" + ",".join(map(repr, rows[row].tolist())) + "]"
    return texts


def _spelled_apart(values: FloatArray) -> npt.NDArray[np.bool_]:
    """Where orjson's text of a value is not ``repr``'s: outside 1e-4 to 1e16 (an exponent, which
    orjson spells differently) but zero, and NaN and infinities."""
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        spelled_alike = ((magnitude >= 1e-4) & (magnitude < 1e16)) | (values == 0)
    apart: npt.NDArray[np.bool_] = ~spelled_alike
    return apart


def _filled(columns: DetectionColumns, positions: list[str]) -> list[str]:
    """Each detection's geometry as JSON: its skeleton's template filled with its positions' JSON."""
    result = [""] * len(columns)
    starts = columns.position_starts
    for index, key in enumerate(columns.skeleton_keys):
        rows = np.flatnonzero(columns.skeleton_ids == index)
        if not len(rows):
            continue
        if len(rows) == len(columns):
            chosen = positions
        else:
            counts = starts[rows + 1] - starts[rows]
            gather = np.arange(int(counts.sum())) + np.repeat(
                starts[rows] - (np.cumsum(counts) - counts), counts
            )
            chosen = [positions[position] for position in gather.tolist()]
        filled = ((skeleton(key).template + "\n") * len(rows) % tuple(chosen)).split("\n")[:-1]
        for row, text in zip(rows.tolist(), filled, strict=True):
            result[row] = text
    return result


@dataclass(frozen=True)
class _Annotations:
    """What one image's features add after the model's properties: each distinct set of the model's
    properties as the start of the ``properties`` object (None: built as a dict), and the end."""

    prefixes: list[str | None]
    suffix: str

    @classmethod
    def of(cls, context: OutputContext, property_texts: Sequence[str]) -> _Annotations:
        extra: dict[str, Any] = {}
        for extension in context.feature_properties:
            extra.update(extension)
        if context.source_metadata is not None:
            extra["sourceMetadata"] = context.source_metadata
        metadata = {"jobId": context.job_id, "inferenceDT": context.inference_time}
        try:
            extra_text = compact_json(extra)[1:-1]
            suffix = (
                ',"inferenceMetadata":' + compact_json(metadata) + ("," + extra_text if extra_text else "")
            )
        except ValueError:
            raise UnwritablePropertiesError(
                "featureProperties: hold a number JSON cannot carry (NaN or infinity)"
            ) from None
        prefixes: list[str | None] = []
        for text in property_texts:
            names = json.loads(text).keys()
            if names & ADDED_PROPERTIES or names & extra.keys() or extra.keys() & ADDED_PROPERTIES:
                prefixes.append(None)
            else:
                prefixes.append(text[1:-1] + "," if len(text) > 2 else "")
        return cls(prefixes, suffix + "}}")


def _classes(columns: DetectionColumns) -> tuple[list[str], list[str]]:
    """Each detection's featureClasses JSON (its top class rescored where Soft-NMS decayed it) and
    its best class's IRI ('' without classes)."""
    texts = columns.classes.texts()
    names = [*columns.class_names, ""]
    tops = [names[index] for index in columns.class_ids.tolist()]
    rescored = np.flatnonzero((columns.scores != columns.initial_scores) & (columns.top_classes >= 0))
    for row in rescored.tolist():
        items = json.loads(texts[row])
        top = items[int(columns.top_classes[row])]
        items[int(columns.top_classes[row])] = {
            "iri": top["iri"],
            "score": float(columns.scores[row]),
            "originalScore": top["score"],
        }
        texts[row] = compact_json(items)
        tops[row] = max(items, key=lambda item: item["score"])["iri"]
    return texts, tops


def _ids(image_id: str, tops: Sequence[str], boxes: FloatArray) -> list[str]:
    """Each detection's base id (:func:`~model_runner.features.output.identity_of`), the box's
    coordinates rounded to thousandths in one go (``%.3f`` rounds as ``round(value, 3)``)."""
    if not len(tops):
        return []
    flat = boxes.ravel().tolist()
    rounded = np.fromiter(map(float, (("%.3f " * len(flat)) % tuple(flat)).split()), np.float64, len(flat))
    corners = number_texts(rounded)
    heads: dict[str, str] = {}
    for top in tops:
        if top not in heads:
            heads[top] = (json.dumps([image_id, top])[:-1] + ", ").replace("%", "%%")
    arguments: list[str] = [""] * (5 * len(tops))
    arguments[0::5] = [heads[top] for top in tops]
    for corner in range(4):
        arguments[corner + 1 :: 5] = corners[corner::4]
    lines = (("%s[%s, %s, %s, %s]]\n" * len(tops)) % tuple(arguments)).split("\n")[:-1]
    return [hashlib.sha256(line.encode()).hexdigest()[:32] for line in lines]


def _extras(columns: DetectionColumns) -> dict[int, list[Any]]:
    """Position -> the coordinates it has after x and y, for the rare positions that have some."""
    found: dict[int, list[Any]] = {}
    for row, text in columns.extras.items():
        start = int(columns.position_starts[row])
        for offset, rest in enumerate(json.loads(text)):
            if rest:
                found[start + offset] = rest
    return found


def _with_extras(texts: list[str], extras: dict[int, list[Any]]) -> list[str]:
    """Positions' JSON with the further coordinates of some added."""
    for position, rest in extras.items():
        texts[position] = texts[position][:-1] + "," + compact_json(rest)[1:]
    return texts


def class_counts(columns: DetectionColumns, context: OutputContext) -> Counter[str]:
    """The class IRIs the output features of ``columns`` name in their featureClasses, counted (a
    request's featureProperties may set featureClasses for every feature)."""
    extra: dict[str, Any] = {}
    for extension in context.feature_properties:
        extra.update(extension)
    if "featureClasses" in extra:
        items = extra["featureClasses"] if isinstance(extra["featureClasses"], list) else []
        named = [str(item["iri"]) for item in items if isinstance(item, dict) and "iri" in item]
        return Counter({iri: count * len(columns) for iri, count in Counter(named).items()})
    counts: Counter[str] = Counter()
    for iri, count in Counter(_IRI.findall(columns.classes.data.decode())).items():  # each IRI read once
        counts[json.loads(iri)] += count
    return counts


def _as_dict(
    columns: DetectionColumns,
    row: int,
    values: dict[str, list[str]],
    geolocated: Geolocated | None,
    context: OutputContext,
) -> str:
    """The feature built as a dict by ``output_feature`` (from the same pieces), as JSON."""
    detection = DetectedFeature(
        geometry=json.loads(values["image_geometry"][row]),
        bbox=tuple(json.loads(values["image_bbox"][row])),
        classes=tuple(
            FeatureClass(item["iri"], item["score"], item.get("originalScore"))
            for item in json.loads(values["classes"][row])
        ),
        properties=json.loads(columns.property_texts[int(columns.property_ids[row])]),
    )
    shape = None
    if geolocated is not None:
        west, south, east, north = json.loads(values["bbox"][row])
        centre = (json.loads(values["lon"][row]), json.loads(values["lat"][row]))
        shape = Located(json.loads(values["geometry"][row]), (west, south, east, north), centre)
    try:
        return compact_json(output_feature(detection, shape, context, values["id"][row]))
    except ValueError:
        raise UnwritablePropertiesError(
            "featureProperties: hold a number JSON cannot carry (NaN or infinity)"
        ) from None
