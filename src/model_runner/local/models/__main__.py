"""``python -m model_runner.local.models --model flood --count 20 --latency-ms 5 --port 8080``.

Serves one built-in model: ``GET /ping`` and ``POST /invocations`` on ``--host:--port`` (port 0,
the default: any free port). Prints ``LISTENING http://HOST:PORT`` once bound.
"""

from __future__ import annotations

import argparse

from model_runner.local.models.server import serve
from model_runner.local.models.spec import ModelSpec, add_spec_arguments


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model_runner.local.models", description=__doc__)
    add_spec_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process dies")
    arguments = parser.parse_args(argv)
    serve(ModelSpec.from_arguments(arguments), arguments.host, arguments.port, arguments.parent_pid)


if __name__ == "__main__":
    main()
