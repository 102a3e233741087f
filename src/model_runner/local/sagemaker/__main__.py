"""``python -m model_runner.local.sagemaker --endpoints JSON`` (or ``--endpoints-file PATH``).

Serves the SageMaker runtime's InvokeEndpoint for the endpoints described (see
:func:`~model_runner.local.sagemaker.endpoints.endpoints_from_json`) on ``--host:--port`` (port
0, the default: any free port). Prints ``LISTENING http://HOST:PORT`` once bound; point boto3's
sagemaker-runtime client there with ``endpoint_url``. Asynchronous endpoints read and write S3
and publish to SNS at ``--aws-endpoint-url`` (the local stack's moto server).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from model_runner.local.sagemaker.async_work import AsyncServices
from model_runner.local.sagemaker.endpoints import endpoints_from_json
from model_runner.local.sagemaker.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model_runner.local.sagemaker", description=__doc__)
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--endpoints", help="the endpoints as JSON")
    given.add_argument("--endpoints-file", type=Path, help="a file holding the endpoints as JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process dies")
    parser.add_argument(
        "--aws-endpoint-url", default=None, help="S3 and SNS of asynchronous endpoints (the moto server)"
    )
    parser.add_argument("--aws-region", default="us-east-1")
    arguments = parser.parse_args(argv)
    text = arguments.endpoints if arguments.endpoints is not None else arguments.endpoints_file.read_text()
    aws = (
        AsyncServices(arguments.aws_endpoint_url, arguments.aws_region)
        if arguments.aws_endpoint_url
        else None
    )
    serve(endpoints_from_json(text), arguments.host, arguments.port, arguments.parent_pid, aws)


if __name__ == "__main__":
    main()
