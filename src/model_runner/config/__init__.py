"""The worker's settings: one class, read from the environment at start-up and passed in.

Variable names follow the reference OversightML Model Runner where it has one, so existing
deployments keep their environment. Nothing here is read at import time: call
:func:`load_settings` once in the entry point. The class is composed of one section per concern
(the modules of this package); docs/configuration.md lists every variable.
"""

from model_runner.config.extensions import ExtensionSettings
from model_runner.config.fields import RequestTypeName, comma_separated
from model_runner.config.loading import load, load_settings, load_settings_subset
from model_runner.config.worker_settings import WorkerSettings

__all__ = [
    "ExtensionSettings",
    "RequestTypeName",
    "WorkerSettings",
    "comma_separated",
    "load",
    "load_settings",
    "load_settings_subset",
]
