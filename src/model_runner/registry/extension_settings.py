"""The settings extensions declare (``settings=`` at registration), validated at start-up.

Each is a pydantic-settings class read from the worker's environment (with the class's own
``env_prefix``). A missing or invalid value stops the worker before it takes a message, with one
line per problem naming the extension and the variable, like the worker's own settings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from model_runner.errors import ConfigurationError
from model_runner.registry.registrations import HandlerRegistry


def load_extension_settings(
    registry: HandlerRegistry, blocklist: Collection[str] = ()
) -> dict[str, BaseSettings]:
    """The validated settings of every registered handler and observer that declares some, by name.

    Raises:
        ConfigurationError: one problem per missing or invalid variable.
    """
    declared = [(item.name, item.settings) for item in registry.handlers()]
    declared += [(item.name, item.settings) for item in registry.observers()]
    loaded: dict[str, BaseSettings] = {}
    problems: list[str] = []
    for name, schema in declared:
        if schema is None or name in blocklist:
            continue
        try:
            loaded[name] = schema()
        except ValidationError as error:
            problems.extend(f"extension {name!r}: {problem}" for problem in _problems(schema, error))
    if problems:
        raise ConfigurationError(problems)
    return loaded


def _problems(schema: type[BaseSettings], error: ValidationError) -> Iterable[str]:
    prefix = str(schema.model_config.get("env_prefix") or "")
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        variable = f"{prefix}{field}".upper() if field else schema.__name__
        if item["type"] == "missing":
            yield f"{variable}: required, but not set"
        else:
            yield f"{variable}: {item['msg'].removeprefix('Value error, ')} (got {item['input']!r})"
