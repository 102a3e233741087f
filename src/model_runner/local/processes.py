"""The parent side of local server processes: start, wait for their URLs, stop, never leak."""

from __future__ import annotations

import atexit
import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from model_runner.errors import ModelRunnerError
from model_runner.local.children import LISTENING

LOG_TAIL_CHARS = 2000


class LocalStackError(ModelRunnerError):
    """A local server (moto or a test model) did not start."""


@dataclass(frozen=True)
class ServerCommand:
    """``python -m module *args``: a server that announces its URL (see ``children``)."""

    module: str
    args: tuple[str, ...] = ()


class ServerProcess:
    """A server running as a child process in its own session.

    Stopped by :meth:`stop` (or leaving it as a context manager), at the interpreter's exit,
    or, because the child watches its parent, when this process dies however it dies.
    """

    def __init__(self, command: ServerCommand) -> None:
        self.command = command
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (stop() closes it)
        self.popen = subprocess.Popen(
            [sys.executable, "-m", command.module, *command.args, "--parent-pid", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,
        )
        atexit.register(self.stop)
        self._url: str | None = None

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.popen.pid

    @property
    def url(self) -> str:
        """``http://host:port`` of the server, once :meth:`wait_until_listening` returned."""
        if self._url is None:
            raise LocalStackError(f"{self.command.module} is not listening yet")
        return self._url

    def wait_until_listening(self, deadline: float) -> None:
        """Wait for the child's announcement until ``deadline`` (a ``time.monotonic()`` value).

        Raises:
            LocalStackError: the child exited or stayed silent; it is stopped, and the
                error quotes the end of its log.
        """
        self._url = self._read_announcement(deadline)
        if self._url is None:
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace")[-LOG_TAIL_CHARS:]
            self.stop()
            raise LocalStackError(f"{self.command.module} did not start; its log ends:\n{tail}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Terminate the child, kill it if it has not exited after ``timeout_s``; idempotent."""
        atexit.unregister(self.stop)
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self.log.close()

    def _read_announcement(self, deadline: float) -> str | None:
        stdout = self.popen.stdout
        assert stdout is not None
        buffered = b""
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while (remaining := deadline - time.monotonic()) > 0:
                if not selector.select(remaining):
                    continue
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    return None
                buffered += chunk
                for line in buffered.rpartition(b"\n")[0].decode(errors="replace").splitlines():
                    if line.startswith(f"{LISTENING} "):
                        return line.removeprefix(f"{LISTENING} ").strip()
        return None


def start_servers(commands: Sequence[ServerCommand], ready_timeout_s: float = 30.0) -> list[ServerProcess]:
    """Start every server at once and wait until all listen; on failure none is left running.

    Raises:
        LocalStackError: a server did not announce its URL within ``ready_timeout_s``.
    """
    deadline = time.monotonic() + ready_timeout_s
    servers: list[ServerProcess] = []
    try:
        for command in commands:
            servers.append(ServerProcess(command))
        for server in servers:
            server.wait_until_listening(deadline)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU seconds (user and system) the processes ``pids`` have used so far, from Linux's /proc;
    a process that has ended counts nothing."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / os.sysconf("SC_CLK_TCK")
