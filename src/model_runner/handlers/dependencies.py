"""Collaborators a handler needs beyond the ones the guide's constructor signatures name.

The base handlers keep the constructor signatures of the extension guide, so that extensions
written for it work unchanged; their further collaborators (the image cache, the detection store,
...) are keyword-only arguments that default to what the worker provides while it constructs the
handler (see :func:`osml_extensions.injection.construct`).
"""

from __future__ import annotations

from typing import TypeVar, cast

from osml_extensions.errors import InjectionError
from osml_extensions.injection import provided

Needed = TypeVar("Needed")


def resolve(owner: object, name: str, given: Needed | None) -> Needed:
    """``given``, or the worker's provider called ``name``; raises when there is neither."""
    if given is not None:
        return given
    found = provided().get(name)
    if found is None:
        raise InjectionError(
            f"{type(owner).__qualname__} needs {name!r}: construct it through the extension registry "
            f"(osml_extensions.injection.construct) or pass {name}=..."
        )
    return cast(Needed, found)
