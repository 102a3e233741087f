"""The child side of a local server process: announce the bound port, die with the parent.

A server binds port 0 itself, so two servers can never race for the same port; it then prints
one line, ``LISTENING http://HOST:PORT``, which :mod:`model_runner.local.processes` waits for.
"""

from __future__ import annotations

import os
import sys
import threading
import time

LISTENING = "LISTENING"


def announce(host: str, port: int) -> None:
    """Tell the parent where the server listens, then stop writing to the handshake pipe.

    Standard output is pointed at /dev/null afterwards, so a parent that stops reading the pipe
    can never block the server.
    """
    sys.stdout.write(f"{LISTENING} http://{host}:{port}\n")
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def exit_with_parent(parent_pid: int | None, poll_s: float = 0.5) -> None:
    """Exit this process as soon as ``parent_pid`` is no longer its parent (the parent died).

    This covers a parent killed with SIGKILL, which no cleanup handler of the parent survives.
    """
    if parent_pid is None:
        return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
