"""The ``model-runner`` command: the worker, and the tools around it.

Each sub-command's work lives in its own module, imported only when that command runs, so
``model-runner validate`` never loads GDAL's drivers and ``worker`` never loads the local stack.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

MODEL_MODES = ("http", "sm", "async")
BUILT_IN_MODELS = ("centerpoint", "flood", "failure")


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
    from model_runner.errors import ConfigurationError
    from model_runner.registry.listing import print_extensions

    try:
        return print_extensions(sys.stdout)
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"model-runner: configuration: {problem}", file=sys.stderr)
        return 2


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``demo`` and ``bench``: the model and how tiles are cut and encoded."""
    parser.add_argument("--model", choices=BUILT_IN_MODELS, default="centerpoint", help="built-in model")
    parser.add_argument("--mode", choices=MODEL_MODES, default="http", help="how the model is called")
    parser.add_argument("--tile-size", type=int, default=512, help="tile edge in pixels")
    parser.add_argument("--overlap", type=int, default=32, help="minimum tile overlap in pixels")
    parser.add_argument("--format", default="GTIFF", help="tile format: NITF, GTIFF, PNG or JPEG")
    parser.add_argument("--compression", default="NONE", help="tile compression: NONE, JPEG, J2K or LZW")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency the model adds per tile")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="model-runner", description=__doc__.splitlines()[0])
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
    demo.add_argument("--output", type=Path, default=Path("demo-output"), help="folder for <jobId>.geojson")
    _add_job_options(demo)

    worker = command("worker", _worker, "Poll the image and region queues and process requests.")
    worker.add_argument("--request-type", help="handler pair for requests that do not name one")

    command("health", _health, "Exit 0 when this container's worker is alive (for health checks).")

    bench = command("bench", _bench, "Measure the pipeline against a bare read-encode-post loop.")
    bench.add_argument("--size", type=int, default=4096, help="edge of the generated N x N image")
    bench.add_argument("--workers", type=int, default=4, help="model calls in flight")
    _add_job_options(bench)

    command("extensions", _extensions, "List registered handlers and observers, and what each type selects.")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
