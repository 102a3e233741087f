"""Fixtures of the extension tests: a fresh registry per test, a context of fakes, and the sample
package installed through its entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from extension_install import forget, install

from model_runner.handlers import HandlerContext
from model_runner.registry import builtin, get_registry, reset_registry
from model_runner.testing import FakeContext, fake_context

SAMPLE = Path(__file__).parent / "sample_extension"
ENTRY_POINTS = "[osml_extensions]\nlocal_models = sample_extension\n"


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Each test starts, and leaves the process, with an empty registry."""
    reset_registry()
    yield
    reset_registry()


@pytest.fixture
def fakes() -> FakeContext:
    """The built-in pairs registered, and a handler context of in-memory fakes."""
    builtin.register(get_registry())
    return fake_context()


@pytest.fixture
def context(fakes: FakeContext) -> HandlerContext:
    return fakes.context


@pytest.fixture
def site_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path where tests install distributions (package + *.dist-info)."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def sample_installed(site_packages: Path) -> Iterator[Path]:
    """The sample extension installed with its ``osml_extensions`` entry point; yields the site directory."""
    install(site_packages, "sample-extension", ENTRY_POINTS, SAMPLE)
    forget("sample_extension")
    yield site_packages
    forget("sample_extension")
