"""The worker image, built by scripts/build-image.sh and run without a daemon: a buildah working
container of the image (its file system, user, environment and working directory), commands run in it
with chroot isolation on the host's network, so the worker reaches the local stack on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CHECKOUT_DIGEST = hashlib.sha256(f"{REPOSITORY}\n".encode()).hexdigest()[:12]
IMAGE = f"localhost/model-runner:test-{CHECKOUT_DIGEST}"
"""The tag this checkout's tests build and run, one per checkout as scripts/test.sh names it."""
SIZE_BUDGET_MB = 475
"""The image's size (its layers, uncompressed) may not exceed this (README, 'Container image'):
445 MB until Zstandard (24 MB, for a dense job's workspace packed 4x faster than zlib)."""


def buildah(*arguments: str, timeout_s: float = 120) -> str:
    """Run buildah; its standard output."""
    result = subprocess.run(
        ["buildah", *arguments], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    assert result.returncode == 0, f"buildah {' '.join(arguments)}: {result.stderr.strip()}"
    return result.stdout.strip()


@dataclass(frozen=True)
class BuiltImage:
    """The built image and what its configuration says."""

    name: str
    user: str
    command: list[str]
    health_check: list[str]
    size_bytes: int
    build_output: str


def build_image() -> BuiltImage:
    """Build (or, with the layers cached, refresh) the image with buildah; its configuration."""
    if shutil.which("buildah") is None:
        pytest.fail("buildah is not installed: run bash scripts/setup.sh")
    result = subprocess.run(
        ["bash", str(REPOSITORY / "scripts" / "build-image.sh"), IMAGE],
        env={**os.environ, "CONTAINER_ENGINE": "buildah"},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    inspected = json.loads(buildah("inspect", "--type", "image", IMAGE))
    config = inspected["OCIv1"]["config"]
    test = inspected["Docker"]["config"]["Healthcheck"]["Test"]
    assert test[0] == "CMD", f"health check {test}: expected the exec form"
    layers = json.loads(inspected["Manifest"])["layers"]
    return BuiltImage(
        name=IMAGE,
        user=config["User"],
        command=[*(config.get("Entrypoint") or []), *config["Cmd"]],
        health_check=test[1:],
        size_bytes=sum(layer["size"] for layer in layers),
        build_output=result.stdout,
    )


class Container:
    """A working container of the image; removed by :meth:`remove`."""

    def __init__(self, image: BuiltImage) -> None:
        self.image = image
        self.id = buildah("from", "--pull=false", "--quiet", image.name)

    def _run(self, command: Sequence[str], env: Mapping[str, str]) -> list[str]:
        variables = [f"--env={name}={value}" for name, value in env.items()]
        isolation = ["--isolation", "chroot", "--network", "host"]
        return ["buildah", "run", *isolation, *variables, self.id, "--", *command]

    def start(self, command: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
        """Start ``command`` in the container as the image's user; its output goes to ``log``."""
        with log.open("wb") as output:
            return subprocess.Popen(self._run(command, env), stdout=output, stderr=subprocess.STDOUT)

    def run(self, command: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in the container to its end."""
        return subprocess.run(
            self._run(command, env), capture_output=True, text=True, timeout=60, check=False
        )

    def remove(self) -> None:
        buildah("rm", self.id)


BUILT: list[BuiltImage] = []
"""The image built in this session, for the terminal summary."""


@pytest.fixture(scope="session")
def worker_image() -> BuiltImage:
    """The image, built once per session (the test command starts that build in the background)."""
    BUILT.append(build_image())
    return BUILT[-1]


def summary_lines() -> list[str]:
    """What the test report says of the image: its size against the budget, and how it was built."""
    if not BUILT:
        return []
    image = BUILT[-1]
    lines = [f"{image.name}: {image.size_bytes // 10**6} MB (budget {SIZE_BUDGET_MB} MB)"]
    background = os.environ.get("IMAGE_BUILD_OUTPUT")
    if background and Path(background).exists():
        lines += ["the test command's background build:", *Path(background).read_text().splitlines()]
    return [*lines, "this session's build:", *image.build_output.splitlines()]


@pytest.fixture
def container(worker_image: BuiltImage) -> Iterator[Container]:
    """A fresh container of the image; removed after the test."""
    created = Container(worker_image)
    yield created
    created.remove()


def descendant_running(root: int, *words: str, timeout_s: float = 30) -> int:
    """The pid of the process under ``root`` whose command line holds every one of ``words``: the
    command itself, not buildah's processes between it and ``root`` that carry it as arguments."""
    deadline = time.monotonic() + timeout_s
    while True:
        pid = _descendant(root, words)
        if pid is not None:
            return pid
        if time.monotonic() > deadline:
            raise AssertionError(f"no process running {' '.join(words)} under {root} within {timeout_s} s")
        time.sleep(0.1)


def _descendant(root: int, words: Sequence[str]) -> int | None:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            command_line = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        runs_words = all(any(word.encode() in part for part in command_line) for word in words)
        if runs_words and b"buildah" not in command_line[0]:
            return pid
    return None


def user_of(pid: int) -> tuple[int, int]:
    """The real user and group ids of a process."""
    status = dict(
        line.split(":", 1) for line in (Path("/proc") / str(pid) / "status").read_text().splitlines()
    )
    return int(status["Uid"].split()[0]), int(status["Gid"].split()[0])


@contextmanager
def main_process(
    container: Container, env: Mapping[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run the image's command in ``container``: (the buildah process, the command's own pid).

    The command is stopped with SIGTERM (as `docker stop` does) if it still runs at the end, and
    killed if it does not stop within 30 s."""
    process = container.start(container.image.command, env, log)
    pid = None
    try:
        pid = descendant_running(process.pid, *container.image.command)
        yield process, pid
    finally:
        if process.poll() is None and pid is not None:
            os.kill(pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()


def stop(process: subprocess.Popen[bytes], pid: int) -> int:
    """Stop the container's main process ``pid`` as `docker stop` does (SIGTERM); its exit status."""
    os.kill(pid, signal.SIGTERM)
    return process.wait(timeout=60)


def comparable(features: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Features without what differs between two jobs (their ids and inference metadata), sorted."""
    kept = [
        {
            **feature,
            "id": None,
            "properties": {k: v for k, v in feature["properties"].items() if k != "inferenceMetadata"},
        }
        for feature in features
    ]
    return sorted(kept, key=lambda feature: json.dumps(feature, sort_keys=True))
