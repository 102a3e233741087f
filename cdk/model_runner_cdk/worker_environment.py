"""The worker's container environment, built from and checked against its settings class."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic.aliases import AliasChoices

from model_runner.config import WorkerSettings, load_settings
from model_runner.errors import ConfigurationError
from model_runner.resources import ResourceSet


def known_variables() -> frozenset[str]:
    """Every environment variable name WorkerSettings reads (all alias choices)."""
    names: set[str] = set()
    for info in WorkerSettings.model_fields.values():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        names.update(str(choice) for choice in choices if choice is not None)
    return frozenset(names)


def required_variables() -> frozenset[str]:
    """The variable of every WorkerSettings field that has no default."""
    return frozenset(
        WorkerSettings.variable_of(name)
        for name, info in WorkerSettings.model_fields.items()
        if info.is_required()
    )


def resource_addresses(
    resources: ResourceSet,
    queue_urls: Mapping[str, str],
    table_names: Mapping[str, str],
    topic_arns: Mapping[str, str],
    bucket_names: Mapping[str, str],
) -> dict[str, str]:
    """The settings that carry each deployed resource's address, keyed by resource name."""
    addresses: dict[str, str] = {}
    for queue in resources.queues:
        addresses[queue.setting] = queue_urls[queue.name]
        if queue.dead_letter_setting:
            addresses[queue.dead_letter_setting] = queue_urls[queue.dead_letter_name]
    for table in resources.tables:
        addresses[table.setting] = table_names[table.name]
    for topic in resources.topics:
        addresses[topic.setting] = topic_arns[topic.name]
    for bucket in resources.buckets:
        if bucket.setting:
            addresses[bucket.setting] = bucket_names[bucket.name]
    return addresses


def worker_environment(
    resources: ResourceSet,
    addresses: Mapping[str, str],
    region: str,
    overrides: Mapping[str, str],
) -> dict[str, str]:
    """The full environment of the worker container, validated by the worker's own settings loader.

    The visibility timeout the worker keeps on messages is the queues' own, so a crashed worker's
    message returns after the time its heartbeat would have extended. ``overrides`` (the deployment's
    ``workerSettings``) may set any other known variable.

    Raises:
        ConfigurationError: an unknown variable, a missing required one, or a value the worker
            would refuse, each named.
    """
    visibility = {queue.visibility_timeout_s for queue in resources.queues}
    if len(visibility) != 1:
        raise ValueError(f"the queues disagree on their visibility timeout: {sorted(visibility)}")
    environment = {
        WorkerSettings.variable_of("aws_region"): region,
        WorkerSettings.variable_of("visibility_timeout_s"): str(visibility.pop()),
        WorkerSettings.variable_of("log_format"): "json",
        **addresses,
        **overrides,
    }
    unknown = sorted(set(environment) - known_variables())
    if unknown:
        raise ConfigurationError([f"{name}: not a worker setting" for name in unknown])
    load_settings(environment)
    return environment
