"""Child process: a moto server on a loopback port of its own choosing.

Run by the local stack (``model_runner.local.aws.MOTO_SERVER``) as
``python -m model_runner.local.moto_server_main --parent-pid PID``; it prints
``LISTENING http://127.0.0.1:PORT`` once the port is bound and serves until terminated.
"""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer

from model_runner.local.children import announce, exit_with_parent


def serialize_dynamodb() -> None:
    """Answer one DynamoDB request at a time. Moto's TransactWriteItems copies whole tables before
    its writes and puts the copies back when a condition fails, without a lock: concurrent requests
    then see half a transaction, or lose the writes made meanwhile, which DynamoDB never allows
    (the scheduler's counters drifted from its leases that way under load)."""
    answer = DynamoHandler.call_action
    lock = threading.Lock()

    def one_at_a_time(self: DynamoHandler) -> Any:
        with lock:
            return answer(self)

    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    exit_with_parent(args.parent_pid)
    serialize_dynamodb()
    server = ThreadedMotoServer(args.host, 0, verbose=False)
    server.start()
    announce(*server.get_host_and_port())
    threading.Event().wait()


if __name__ == "__main__":
    main()
