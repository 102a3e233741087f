"""The one error root of the extension registry."""

from __future__ import annotations

from model_runner.errors import ModelRunnerError, QueueAction


class ExtensionError(ModelRunnerError):
    """Root of every error the registry raises: a registration, selection or construction fault.

    These are configuration faults of the deployment, so a message that meets one is left on the
    queue (RETRY) for a correctly configured worker rather than failed.
    """

    action = QueueAction.RETRY


class RegistrationError(ExtensionError, TypeError):
    """A handler or observer cannot be registered as asked (wrong kind, slot taken, name reused)."""


class UnknownRequestTypeError(ExtensionError, LookupError):
    """No handler pair is registered for a request type."""


class InjectionError(ExtensionError, TypeError):
    """A handler's constructor needs a dependency the worker does not provide."""


class ExtensionLoadError(ExtensionError, ImportError):
    """An extension module or entry point failed to import."""
