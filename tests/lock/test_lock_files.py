"""The locked requirements (requirements/*.txt, written by scripts/lock.sh): every package pinned with
its hashes, one version of each across the files, every dependency of pyproject.toml and of each
extra locked at a version it accepts, and this environment installed exactly from them."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPOSITORY = Path(__file__).resolve().parents[2]
LOCKS = REPOSITORY / "requirements"
PROJECT = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?: ; ([^\\]+))?")
NOT_LOCKED = {"gdal"}
"""Built against the system library: requirements/gdal.txt, at `gdal-config --version`."""
RUNTIME_AND_EXTRAS = ["runtime", *PROJECT["optional-dependencies"]]


@dataclass
class Locked:
    version: str
    marker: str | None
    hashes: set[str] = field(default_factory=set)

    def applies(self) -> bool:
        """Whether this package is installed on this platform."""
        return self.marker is None or Marker(self.marker).evaluate()


def lock(name: str) -> dict[str, Locked]:
    """The packages of requirements/NAME.txt, by canonical name."""
    packages: dict[str, Locked] = {}
    current = None
    for line in (LOCKS / f"{name}.txt").read_text().splitlines():
        if pin := PIN.match(line):
            current = canonicalize_name(pin[1])
            assert current not in packages, f"{name}.txt pins {current} twice"
            packages[current] = Locked(pin[2], pin[3].strip() if pin[3] else None)
        elif hash_option := re.search(r"--hash=(sha256:[0-9a-f]{64})", line):
            assert current, f"{name}.txt: a hash before any package"
            packages[current].hashes.add(hash_option[1])
    return packages


ALL_LOCKS = [path.stem for path in sorted(LOCKS.glob("*.txt"))]


def test_there_is_a_lock_for_the_runtime_and_each_extra_and_each_pins_with_hashes() -> None:
    assert set(ALL_LOCKS) == {*RUNTIME_AND_EXTRAS, "build", "gdal"}
    for name in ALL_LOCKS:
        packages = lock(name)
        assert packages, f"{name}.txt locks nothing"
        unhashed = [package for package, locked in packages.items() if not locked.hashes]
        assert not unhashed, f"{name}.txt has no hash for {unhashed}"


def test_the_lock_files_agree_on_every_package_they_share() -> None:
    seen: dict[str, tuple[str, Locked]] = {}
    for name in ALL_LOCKS:
        for package, locked in lock(name).items():
            first_name, first = seen.setdefault(package, (name, locked))
            assert (locked.version, locked.hashes) == (first.version, first.hashes), (
                f"{package}: {name}.txt and {first_name}.txt lock it differently; run bash scripts/lock.sh"
            )


@pytest.mark.parametrize("name", RUNTIME_AND_EXTRAS)
def test_each_lock_holds_what_pyproject_asks_for_at_a_version_it_accepts(name: str) -> None:
    packages = lock(name)
    asked = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"].get(name, [])]
    for text in asked:
        requirement = Requirement(text)
        package = canonicalize_name(requirement.name)
        if package in NOT_LOCKED or (requirement.marker and not requirement.marker.evaluate()):
            continue
        assert package in packages, f"{name}.txt lacks {text}; run bash scripts/lock.sh"
        pinned = packages[package].version
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"{name}.txt locks {package}=={pinned}, outside {text}; run bash scripts/lock.sh"
        )


def test_the_project_environment_is_installed_from_the_locks() -> None:
    for name in ("build", "local", "test", "cdk", "tools", "gdal"):
        for package, locked in lock(name).items():
            if locked.applies():
                assert version(package) == locked.version, f"{package} differs from {name}.txt"
