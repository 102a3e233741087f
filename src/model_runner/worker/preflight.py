"""Start-up checks of what no message can fix: credentials, and the queues the settings name.

A worker without credentials, or pointed at a queue that does not exist or that it may not read,
would otherwise log the same failure on every poll for ever; it stops at once instead, saying
which setting to fix. Other failures (throttling, a network blip) are left to the polling loop,
which retries them.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from model_runner.aws.clients import AwsClients
from model_runner.aws.service_errors import error_code
from model_runner.config import WorkerSettings

FATAL_CODES = {
    "AWS.SimpleQueueService.NonExistentQueue": "no such queue",
    "QueueDoesNotExist": "no such queue",
    "InvalidAddress": "not a queue URL",
    "AccessDenied": "access denied",
    "AccessDeniedException": "access denied",
    "InvalidClientTokenId": "the credentials are not valid",
    "UnrecognizedClientException": "the credentials are not valid",
    "SignatureDoesNotMatch": "the credentials are not valid",
}


def startup_problems(settings: WorkerSettings, clients: AwsClients) -> list[str]:
    """One line per problem that stops the worker (each names the setting to fix)."""
    if clients.credentials() is None:
        return [
            "no AWS credentials: give the task an IAM role, or set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
        ]
    problems = []
    sqs = clients.client("sqs")
    for variable, url in (("IMAGE_QUEUE", settings.image_queue), ("REGION_QUEUE", settings.region_queue)):
        try:
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except ClientError as error:
            reason = FATAL_CODES.get(error_code(error))
            if reason is not None:
                problems.append(f"{variable} {url}: {reason}; check the setting (and the region)")
        except NoCredentialsError:
            return ["no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"]
        except EndpointConnectionError as error:
            problems.append(f"{variable} {url}: cannot reach {error.kwargs.get('endpoint_url')}")
        except (BotoCoreError, ValueError) as error:
            problems.append(f"{variable} {url}: {error}; check the setting")
    return problems
