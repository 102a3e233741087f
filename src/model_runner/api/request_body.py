"""What a raw request body may be before it is parsed, and what can be read of one that is refused.

A body is refused before JSON parsing when it is larger than the worker accepts or nested deeper
than any request needs (a deeply nested body exhausts the parser's recursion). Its job id and image
URLs are then read leniently, so that its images can still be reported FAILED with the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAX_REQUEST_DEPTH = 32
"""Deepest nesting of objects and lists a request may have (a request needs about 5)."""
DEFAULT_MAX_REQUEST_BYTES = 192 * 1024

_STRING = r'"(?:[^"\\]|\\.)*"'
_TOKENS = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)
_JOB_ID = re.compile(r'"jobId"\s*:\s*(' + _STRING + ")")
_IMAGE_URLS = re.compile(r'"imageUrls"\s*:\s*(\[[^\[\]{}]*\])')
_IMAGE_URL = re.compile(r'"imageUrl"\s*:\s*(' + _STRING + ")")


def body_problem(text: str, max_bytes: int) -> str | None:
    """Why ``text`` is refused before parsing (too large, nested too deep), or None."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        return f"request: the message is {size} bytes, more than the {max_bytes} accepted (MAX_REQUEST_BYTES)"
    if nesting_exceeds(text, MAX_REQUEST_DEPTH):
        return f"request: objects and lists are nested deeper than {MAX_REQUEST_DEPTH} levels"
    return None


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON in ``text`` nests objects and lists deeper than ``limit`` (strings skipped).

    One pass, in time linear in the text whatever it holds: a string is skipped from its opening
    quote to its end, and an unterminated one ends the scan (the parser then refuses the text).
    """
    depth = 0
    position = 0
    while (token := _TOKENS.search(text, position)) is not None:
        if token.group() == '"':
            rest = _STRING_REST.match(text, token.end())
            if rest is None:
                return False
            position = rest.end()
            continue
        depth += 1 if token.group() in "[{" else -1
        if depth > limit:
            return True
        position = token.end()
    return False


def request_identity(body: str | bytes | Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The job id and image URLs a (possibly refused) request names, as far as they can be read."""
    if isinstance(body, Mapping):
        return _identity_of(body)
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not nesting_exceeds(text, MAX_REQUEST_DEPTH):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return _identity_of(data)
    return _lenient_identity(text)


def _identity_of(data: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    job_id = data.get("jobId")
    urls = data.get("imageUrls", [data.get("imageUrl")])
    return (
        job_id if isinstance(job_id, str) and job_id.strip() else None,
        _strings(urls if isinstance(urls, list) else []),
    )


def _lenient_identity(text: str) -> tuple[str | None, list[str]]:
    """The first jobId and image URLs found in text that cannot be parsed as a whole."""
    job_id = _decoded(_JOB_ID.search(text))
    urls = _decoded(_IMAGE_URLS.search(text))
    if urls is None:
        urls = [_decoded(_IMAGE_URL.search(text))]
    return (
        job_id if isinstance(job_id, str) and job_id.strip() else None,
        _strings(urls if isinstance(urls, list) else []),
    )


def _decoded(match: re.Match[str] | None) -> Any:
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def _strings(values: list[Any]) -> list[str]:
    return list(dict.fromkeys(value for value in values if isinstance(value, str) and value))
