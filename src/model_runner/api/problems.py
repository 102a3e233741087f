"""Turn a pydantic ValidationError into "key.path: reason" lines with the camelCase keys."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from model_runner.api.sinks import SINK_TYPES
from model_runner.api.wire import KEYED_ERROR

_SHOULD = re.compile(r"^(Input|Value|String|List|Tuple|Dictionary) should")
_OBJECT_TYPES = ("model_type", "model_attributes_type", "dict_type")
_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")
_SHOWN_INPUT_CHARS = 60


def format_problems(error: ValidationError) -> list[str]:
    """One "key.path: reason" line per problem of ``error``, in order, without repeats."""
    lines = [_line(item) for item in error.errors(include_url=False)]
    return list(dict.fromkeys(lines))


def key_path(location: Sequence[int | str]) -> str:
    """``("outputs", 0, "bucket")`` as ``outputs[0].bucket``; discriminator tags are left out."""
    path = ""
    for index, part in enumerate(location):
        if isinstance(part, int):
            path += f"[{part}]"
        elif not (part in SINK_TYPES and index and isinstance(location[index - 1], int)):
            path += f".{part}" if path else part
    return path


def _line(item: ErrorDetails) -> str:
    location = list(item["loc"])
    context = item.get("ctx", {})
    kind = item["type"]
    if kind == KEYED_ERROR:
        location.append(context["key"])
        return f"{key_path(location)}: {context['reason']}"
    if kind in _TAG_ERRORS:
        location.append(str(context["discriminator"]).strip("'"))
        if kind == "union_tag_not_found":
            return f"{key_path(location)}: required"
        return f"{key_path(location)}: must be one of {context['expected_tags']} (got {context['tag']!r})"
    if kind == "missing":
        reason = "required"
    elif kind in _OBJECT_TYPES:
        reason = "must be a JSON object"
    else:
        reason = _SHOULD.sub("must", item["msg"].removeprefix("Value error, "))
        reason = reason.replace("a valid tuple", "a list").replace("a valid string", "a string")
    return f"{key_path(location) or 'request'}: {reason}{_shown(item)}"


def _shown(item: ErrorDetails) -> str:
    value = item.get("input")
    if item["type"] == "missing" or not isinstance(value, str | int | float) or "(got " in item["msg"]:
        return ""
    text = repr(value)
    if len(text) > _SHOWN_INPUT_CHARS:
        text = text[: _SHOWN_INPUT_CHARS - 3] + "..."
    return f" (got {text})"
