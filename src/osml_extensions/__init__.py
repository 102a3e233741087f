"""The extension registry: which handler pair processes a request, chosen by request type.

``osml_extensions.BaseRegionHandler`` is the guide's convenience base class (imported lazily, since
the base handlers themselves use this package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osml_extensions.base import BaseRegionHandler

__all__ = ["BaseRegionHandler"]


def __getattr__(name: str) -> Any:
    if name == "BaseRegionHandler":
        from osml_extensions.base import BaseRegionHandler

        return BaseRegionHandler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
