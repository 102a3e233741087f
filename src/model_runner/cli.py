"""The ``model-runner`` command: the worker, and the tools around it.

Each sub-command's work lives in its own module, imported only when that command runs, so
``model-runner validate`` never loads GDAL's drivers and ``worker`` never loads the local stack.
A user's mistake (a missing file, a bad value, an unreachable queue) ends the command with one line
saying what is wrong and what to do, and exit status 2; never with a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from model_runner.local.session import LocalSession

MODEL_MODES = ("http", "sm", "async")
BUILT_IN_MODELS = ("centerpoint", "flood", "failure")
DISTRIBUTION = "osml-model-runner-ng"


class OneLineParser(argparse.ArgumentParser):
    """Reports a wrong command line in one line (argparse's usage block hides the reason)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _validate(args: argparse.Namespace) -> int:
    from model_runner.api import validate_file

    return validate_file(args.file, sys.stdout)


def _demo(args: argparse.Namespace) -> int:
    from model_runner.local.demo import run_demo

    return run_demo(args)


def _worker(args: argparse.Namespace) -> int:
    from model_runner.worker.main import run_worker

    return run_worker(request_type=args.request_type)


def _health(args: argparse.Namespace) -> int:
    from model_runner.worker.liveness import check_health

    return check_health()


def _bench(args: argparse.Namespace) -> int:
    from model_runner.local.bench import run_bench

    return run_bench(args)


def _extensions(args: argparse.Namespace) -> int:
    from model_runner.registry.listing import print_extensions

    return print_extensions(sys.stdout)


def _local_session(args: argparse.Namespace) -> LocalSession | None:
    """With ``--local``, the running local stack (its dummy credentials exported for boto3)."""
    if not getattr(args, "local", False):
        return None
    from model_runner.local.session import connect

    session = connect()
    os.environ.update(session.credentials())
    return session


def _environment(args: argparse.Namespace) -> Mapping[str, str]:
    """The settings the operator tools read: the process environment, or the local stack's."""
    session = _local_session(args)
    return session.env if session else os.environ


def _submit(args: argparse.Namespace) -> int:
    from model_runner.tools.submit import read_request, submit

    body = read_request(args.request)
    session = _local_session(args)
    if session is not None:
        body = session.prepare(body, base=args.request.parent)
    environ = session.env if session else os.environ
    return submit(body, environ, wait=args.wait, timeout_s=args.timeout, out=sys.stdout, err=sys.stderr)


def _status(args: argparse.Namespace) -> int:
    from model_runner.tools.status import print_status

    return print_status(args.job_id, _environment(args), out=sys.stdout, as_json=args.json)


def _preview(args: argparse.Namespace) -> int:
    from model_runner.tools.preview import run_preview

    return run_preview(args.image, args.features, args.output, args.size, _environment(args), sys.stdout)


def _check_model(args: argparse.Namespace) -> int:
    from model_runner.tools.check_model import run_check_model

    return run_check_model(args, os.environ, sys.stdout)


def _local_stack(args: argparse.Namespace) -> int:
    from model_runner.local.session import serve

    return serve(args.model, sys.stderr)


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``demo`` and ``bench``: the model and how tiles are cut and encoded."""
    parser.add_argument("--model", choices=BUILT_IN_MODELS, default="centerpoint", help="built-in model")
    parser.add_argument("--mode", choices=MODEL_MODES, default="http", help="how the model is called")
    parser.add_argument("--tile-size", type=int, default=512, help="tile edge in pixels")
    parser.add_argument("--overlap", type=int, default=32, help="minimum tile overlap in pixels")
    parser.add_argument(
        "--format", default="GTIFF", type=str.upper, help="tile format: NITF, GTIFF, PNG or JPEG"
    )
    parser.add_argument(
        "--compression", default="NONE", type=str.upper, help="tile compression: NONE, JPEG, J2K or LZW"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency the model adds per tile")


def _add_local_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--local",
        action="store_true",
        help="use the local stack started by 'model-runner local-stack' instead of the environment's",
    )


def _package_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="model-runner", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.set_defaults(run=run)
        return sub

    validate = command(
        "validate", _validate, "Check an ImageRequest JSON file; print it normalised or its problems."
    )
    validate.add_argument("file", type=Path, help="ImageRequest JSON file")

    demo = command("demo", _demo, "Run one job end to end on the embedded local stack (no AWS account).")
    demo.add_argument("--image", type=Path, help="GDAL-readable image (default: a generated one)")
    demo.add_argument("--request", type=Path, help="a full ImageRequest JSON file instead of the flags")
    demo.add_argument(
        "--output", type=Path, default=Path("demo-output"), help="folder for <jobId>.geojson and .png"
    )
    _add_job_options(demo)

    worker = command("worker", _worker, "Poll the image and region queues and process requests.")
    worker.add_argument("--request-type", help="handler pair for requests that do not name one")

    command("health", _health, "Exit 0 when this container's worker is alive (for health checks).")

    bench = command("bench", _bench, "Measure the pipeline against a bare read-encode-post loop.")
    bench.add_argument("--size", type=int, default=4096, help="edge of the generated N x N image")
    bench.add_argument("--workers", type=int, default=4, help="model calls in flight (scenario: workers)")
    bench.add_argument(
        "--scenario",
        choices=("pipeline", "shared-endpoints"),
        default="pipeline",
        help="pipeline: one job against a bare loop; shared-endpoints: 30 jobs on 3 endpoints of "
        "different capacity, 4 workers, scheduler on and off (docs/scheduling.md)",
    )
    _add_job_options(bench)
    bench.add_argument(
        "--boxes-per-tile", type=int, metavar="N", help="flood model: boxes found in every tile (default 10)"
    )
    bench.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times the pipeline and the bare loop are measured in turn; figures are the rounds' medians",
    )
    bench.add_argument(
        "--s3-latency-ms",
        type=float,
        metavar="L",
        help="also run the job reading the image from the local S3 through a proxy adding L ms per request",
    )

    command("extensions", _extensions, "List registered handlers and observers, and what each type selects.")

    submit = command("submit", _submit, "Send an ImageRequest to the image queue (IMAGE_QUEUE).")
    submit.add_argument("request", type=Path, help="ImageRequest JSON file")
    submit.add_argument("--wait", action="store_true", help="follow the job until every image ends")
    submit.add_argument("--timeout", type=float, default=3600.0, help="seconds --wait waits at most")
    _add_local_option(submit)

    status = command("status", _status, "Show a job's images and regions, with their status and reasons.")
    status.add_argument("job_id", help="the request's jobId")
    status.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    _add_local_option(status)

    preview = command("preview", _preview, "Draw features over a downsampled picture of their image (PNG).")
    preview.add_argument("image", help="the image: a local path or s3://bucket/key")
    preview.add_argument("features", help="the FeatureCollection: a local path or s3://bucket/key")
    preview.add_argument("--output", type=Path, help="PNG to write (default: beside FEATURES, .png)")
    preview.add_argument("--size", type=int, default=1024, help="longest side of the picture in pixels")
    _add_local_option(preview)

    check = command("check-model", _check_model, "Check a model container against the model contract.")
    check.add_argument("url", nargs="?", help="the container's base URL or its /invocations URL")
    check.add_argument("--sagemaker", metavar="ENDPOINT", help="check a SageMaker endpoint instead of a URL")
    check.add_argument("--sizes", default="256,512,1024", help="tile sizes to send, comma-separated")
    check.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")

    local_stack = command(
        "local-stack", _local_stack, "Run the local stack and a worker until Ctrl-C, for --local commands."
    )
    local_stack.add_argument("--model", choices=BUILT_IN_MODELS, default="centerpoint", help="built-in model")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    from model_runner.errors import ConfigurationError
    from model_runner.tools.command_error import CommandError

    args = build_parser().parse_args(argv)
    name = f"model-runner {args.command}"
    try:
        status: int = args.run(args)
    except CommandError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        problems = "; ".join(error.problems)
        print(f"{name}: configuration: {problems} (see docs/configuration.md)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
