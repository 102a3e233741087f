"""Finds extensions: modules named by EXTENSION_MODULES and the ``osml_extensions`` entry points.

Importing an extension module registers its handlers and observers (the ``__init__.py`` pattern of
the guide). A third-party package can instead declare, in its pyproject.toml::

    [project.entry-points."osml_extensions"]
    my_extension = "my_package.handlers"

Every module that fails to import is reported with its name and the cause.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from osml_extensions.builtin import register_builtins
from osml_extensions.errors import ExtensionLoadError
from osml_extensions.registry import get_registry

ENTRY_POINT_GROUP = "osml_extensions"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    """What discovery imported, and what failed with why."""

    loaded: tuple[str, ...]
    failures: tuple[ExtensionLoadError, ...]


def load_extensions(modules: Iterable[str] = (), *, entry_point_group: str = ENTRY_POINT_GROUP) -> LoadReport:
    """Register the built-in pairs, then import the named modules and every entry point of the group."""
    register_builtins(get_registry())
    loaded: list[str] = []
    failures: list[ExtensionLoadError] = []
    targets = [(name, name) for name in modules]
    targets += [
        (f"entry point {point.name!r} ({point.value})", point.value)
        for point in entry_points(group=entry_point_group)
    ]
    for label, target in targets:
        try:
            _import(target)
        except Exception as error:
            failure = ExtensionLoadError(
                f"extension {label} failed to import: {type(error).__name__}: {error}"
            )
            logger.error("%s", failure)
            failures.append(failure)
        else:
            loaded.append(label)
    return LoadReport(loaded=tuple(loaded), failures=tuple(failures))


def _import(target: str) -> None:
    """Import ``module`` or ``module:attribute`` (an entry point value)."""
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    if attribute:
        getattr(module, attribute)
