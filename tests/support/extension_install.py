"""Installing a distribution the way pip would, as far as importlib.metadata can tell."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def install(site: Path, name: str, entry_points: str, package: Path | None = None) -> None:
    """Install distribution ``name`` into ``site``: its package (copied) and its entry points."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    if package is not None:
        shutil.copytree(package, site / package.name, ignore=shutil.ignore_patterns("__pycache__"))


def forget(package: str) -> None:
    """Unload ``package`` so that importing it again runs (and registers) it again."""
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
        del sys.modules[name]
