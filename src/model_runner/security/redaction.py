"""Credentials never leave the worker in text: masking them in log lines and showing URLs without them.

Patterns cover what AWS and HTTP libraries print: access key ids, secrets and session tokens next to
their names (in headers, JSON, XML or ``repr`` of dicts), presigned-URL query parameters,
Authorization headers and ``user:password@`` in URLs. Values the worker knows to be secret (the
credentials it obtained) are registered and masked wherever they appear, whatever surrounds them.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

MASK = "<redacted>"

_NAME_SEPARATOR = r"""["'>]?\s*[:=>]?\s*(?:b?["'])?\s*"""
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Access key ids: long-term (AKIA), temporary (ASIA) and the other IAM unique-id prefixes.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{12,}\b"), MASK),
    # Secrets: 40 base64 characters after a name containing "secret".
    (re.compile(r"(?i)(secret[\w-]*" + _NAME_SEPARATOR + r")[A-Za-z0-9/+=]{16,}"), r"\1" + MASK),
    # Session and security tokens after their names (headers, JSON, XML, query strings).
    (
        re.compile(r"(?i)((?:session|security)[_-]?token" + _NAME_SEPARATOR + r")[A-Za-z0-9/+=%]{8,}"),
        r"\1" + MASK,
    ),
    # Presigned-URL parameters.
    (re.compile(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s\"'<>]+"), r"\1" + MASK),
    # Authorization headers (the whole value: scheme, credential scope and signature).
    (re.compile(r"""(?i)(authorization["']?\s*[:=]\s*(?:b?["'])?)[^"'\r\n}]+"""), r"\1" + MASK),
    # Signatures in signed-request descriptions outside an Authorization header.
    (re.compile(r"(?i)(\bSignature=)[0-9a-f]{16,}"), r"\1" + MASK),
    # user:password@ in URLs.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@:\"'<>]*:[^/\s@\"'<>]*@"), r"\1" + MASK + "@"),
)
_MIN_KNOWN_SECRET = 8


class Redactor:
    """Masks credential patterns, and the exact secret values registered with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: frozenset[str] = frozenset()

    def register(self, *values: str | None) -> None:
        """Mask these values (credentials the worker obtained) wherever they appear from now on."""
        fresh = {value for value in values if value and len(value) >= _MIN_KNOWN_SECRET}
        if fresh - self._known:
            with self._lock:
                self._known = self._known | fresh

    def __call__(self, text: str) -> str:
        """``text`` with every credential masked."""
        for value in self._known:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


REDACT = Redactor()
"""The process's one redactor: the log filter uses it, the AWS clients register what they obtain."""


def display_url(url: str) -> str:
    """``url`` as messages show it: without ``user:password@``, and without its query (where
    presigned URLs and tokens keep their secrets), which is marked ``?...``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACT(url)
    if not parts.scheme or not parts.netloc:
        return REDACT(url)
    host = parts.netloc.rpartition("@")[2]
    query = "?..." if parts.query else ""
    return f"{parts.scheme}://{host}{parts.path}{query}"
