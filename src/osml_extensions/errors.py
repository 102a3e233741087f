"""The registry's errors, under the extension guide's import path."""

from model_runner.registry import (
    ExtensionError,
    ExtensionLoadError,
    InjectionError,
    RegistrationError,
    UnknownRequestTypeError,
)

__all__ = [
    "ExtensionError",
    "ExtensionLoadError",
    "InjectionError",
    "RegistrationError",
    "UnknownRequestTypeError",
]
