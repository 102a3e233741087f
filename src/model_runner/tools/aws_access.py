"""AWS for the operator tools: clients from the worker's own settings, and AWS failures told as
what to do (no credentials, a queue or table that is not there, an endpoint out of reach)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from model_runner.aws.clients import AwsClients
from model_runner.aws.service_errors import error_code
from model_runner.config import WorkerSettings, load_settings_subset
from model_runner.errors import ModelRunnerError
from model_runner.tools.command_error import CommandError

_MISSING_CODES = (
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "NoSuchKey",
    "404",
    "NotFound",
)
_DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "403")


def aws_clients(environ: Mapping[str, str], *names: str) -> tuple[WorkerSettings, AwsClients]:
    """The settings ``names`` (plus the region and endpoint) from ``environ``, and clients.

    Raises:
        ConfigurationError: a variable is missing or invalid.
    """
    settings = load_settings_subset(("aws_region", "aws_endpoint_url", *names), environ)
    return settings, AwsClients(settings, max_pool_connections=4)


@contextmanager
def calling(what: str) -> Iterator[None]:
    """Run AWS calls; a failure becomes a :class:`CommandError` saying what to do about it."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise CommandError(
            f"{what}: no AWS credentials; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except NoRegionError:
        raise CommandError(f"{what}: no AWS region; set AWS_DEFAULT_REGION") from None
    except EndpointConnectionError as error:
        raise CommandError(f"{what}: cannot reach {error.kwargs.get('endpoint_url', 'AWS')}") from None
    except ClientError as error:
        raise CommandError(f"{what}: {describe(error)}") from None
    except BotoCoreError as error:
        raise CommandError(f"{what}: {error}") from None
    except ModelRunnerError as error:
        raise CommandError(str(error)) from None


def describe(error: ClientError) -> str:
    """A ClientError, told as what is wrong and what to check."""
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message", "") or code
    if code in _MISSING_CODES:
        return f"not found ({message}); check the name or URL in your settings"
    if code in _DENIED_CODES:
        return f"access denied ({message}); check your credentials and their permissions"
    return f"{code}: {message}"


def split_s3_url(url: str) -> tuple[str, str]:
    """Bucket and key of ``s3://bucket/key``.

    Raises:
        CommandError: the URL has no bucket or no key.
    """
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise CommandError(f"{url}: an S3 URL needs a bucket and a key (s3://bucket/key)")
    return bucket, key
