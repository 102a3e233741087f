"""Finds extensions: modules named by EXTENSION_MODULES and the ``osml_extensions`` entry points.

An entry point is either a module, whose import registers its handlers and observers (the
``__init__.py`` pattern of the extension guide)::

    [project.entry-points."osml_extensions"]
    my_extension = "my_package.handlers"

or a function taking the registry, called on every discovery (how this project registers its
own built-in pairs and observers, through the same door)::

    [project.entry-points."osml_extensions"]
    builtin = "model_runner.registry.builtin:register"

Every module that fails to import is reported with its name and the cause.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points

from model_runner.registry.errors import ExtensionLoadError
from model_runner.registry.registrations import HandlerRegistry, get_registry

ENTRY_POINT_GROUP = "osml_extensions"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    """What discovery imported, and what failed with why."""

    loaded: tuple[str, ...]
    failures: tuple[ExtensionLoadError, ...]


def load_extensions(
    modules: Iterable[str] = (),
    *,
    registry: HandlerRegistry | None = None,
    entry_point_group: str = ENTRY_POINT_GROUP,
) -> LoadReport:
    """Load every entry point of the group, then import the named modules."""
    registry = registry or get_registry()
    loaded: list[str] = []
    failures: list[ExtensionLoadError] = []
    targets = [
        (f"entry point {point.name!r} ({point.value})", point.value)
        for point in sorted(entry_points(group=entry_point_group), key=lambda point: point.name)
    ]
    targets += [(name, name) for name in modules]
    for label, target in targets:
        try:
            _load(target, registry)
        except Exception as error:
            failure = ExtensionLoadError(f"extension {label} failed to load: {type(error).__name__}: {error}")
            logger.error("%s", failure)
            failures.append(failure)
        else:
            loaded.append(label)
    return LoadReport(loaded=tuple(loaded), failures=tuple(failures))


def _load(target: str, registry: HandlerRegistry) -> None:
    """Import ``module``, or ``module:function`` and call the function with the registry."""
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    if not attribute:
        return
    found = getattr(module, attribute)
    if inspect.isfunction(found):
        found(registry)
