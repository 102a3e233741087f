"""Child process: a moto server on a loopback port of its own choosing.

Run by the local stack (``model_runner.local.aws.MOTO_SERVER``) as
``python -m model_runner.local.moto_server_main --parent-pid PID``; it prints
``LISTENING http://127.0.0.1:PORT`` once the port is bound and serves until terminated.
"""

from __future__ import annotations

import argparse
import copy
import logging
import threading
from types import SimpleNamespace
from typing import Any

import moto.backends
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
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


def back_up_each_table_once() -> None:
    """Moto's TransactWriteItems deep-copies a whole table once per item it writes there (the
    backup it puts back if a condition fails). The copies are all alike (taken before any write),
    so one per table does: a transaction of 10 rows on the scheduling table took 50-160 ms of the
    moto server's time under the shared-endpoints bench. Within one transaction (DynamoDB requests
    run one at a time, see :func:`serialize_dynamodb`), a table's second copy is its first."""
    transact = DynamoDBBackend.transact_write_items
    backups: dict[int, Table] | None = None

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if backups is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in backups:
            backups[id(value)] = copy.deepcopy(value, memo)
        return backups[id(value)]

    def transact_backing_up_once(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        nonlocal backups
        backups = {}
        try:
            transact(self, transact_items)
        finally:
            backups = None

    dynamodb_models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[attr-defined,assignment]
    DynamoDBBackend.transact_write_items = transact_backing_up_once  # type: ignore[method-assign]


def list_moto_modules_once() -> None:
    """Moto's dispatcher lists its own package's folders (a stat of each of some 150 entries) for
    every request, to see whether the host names a service; a tenth of the server's time under
    the shared-endpoints bench. The folders do not change while it runs: listed once."""
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    exit_with_parent(args.parent_pid)
    serialize_dynamodb()
    back_up_each_table_once()
    list_moto_modules_once()
    server = ThreadedMotoServer(args.host, 0, verbose=False)
    server.start()
    announce(*server.get_host_and_port())
    threading.Event().wait()


if __name__ == "__main__":
    main()
