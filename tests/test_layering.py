"""Dependencies run one way: each package imports only its own layer and the layers below it.

The layers, lowest first, as ARCHITECTURE.md draws them. A package may import packages of its own
layer (the adapters use each other's small types) and of any lower layer, never of a higher one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS: list[set[str]] = [
    {"model_runner.errors", "model_runner.config", "model_runner.config_reference", "model_runner.backoff",
     "model_runner.resources", "model_runner.security", "model_runner.periodic", "model_runner.ordered_ahead",
     "model_runner.config_scheduling"},
    {"model_runner.tiling", "model_runner.features", "model_runner.status", "model_runner.events",
     "model_runner.scheduling"},
    {"model_runner.api"},
    {"model_runner.imagery", "model_runner.inference", "model_runner.aws", "model_runner.sinks",
     "model_runner.observability"},
    {"model_runner.handlers"},
    {"model_runner.testing"},
    {"model_runner.registry"},
    {"osml_extensions", "aws.osml.model_runner"},
    {"model_runner.worker"},
    {"model_runner.cli", "model_runner.local", "model_runner.tools"},
]  # fmt: skip
"""Each layer's packages; a module belongs to the package its dotted name starts with."""

DOMAIN = LAYERS[1]
FORBIDDEN_IN_DOMAIN = ("boto3", "botocore", "osgeo", "urllib3", "moto")


def layer_of(module: str) -> int:
    for index, packages in enumerate(LAYERS):
        if any(module == package or module.startswith(package + ".") for package in packages):
            return index
    raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS")


def package_of(module: str) -> str:
    return next(
        package
        for packages in LAYERS
        for package in packages
        if module == package or module.startswith(package + ".")
    )


def source_modules() -> list[tuple[str, Path]]:
    modules = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and parts[0] in ("model_runner", "osml_extensions", "aws") and parts != ("model_runner",):
            modules.append((".".join(parts), path))
    return modules


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


OURS = ("model_runner.", "osml_extensions", "aws.osml.")


@pytest.mark.parametrize(("module", "path"), source_modules(), ids=str)
def test_a_module_imports_only_its_own_layer_and_the_layers_below(module: str, path: Path) -> None:
    own = layer_of(module)
    upward = sorted(
        imported for imported in imports_of(path) if imported.startswith(OURS) and layer_of(imported) > own
    )
    assert upward == [], f"{module} (layer {own}: {package_of(module)}) imports higher layers: {upward}"


@pytest.mark.parametrize(
    ("module", "path"),
    [(module, path) for module, path in source_modules() if layer_of(module) <= 1],
    ids=str,
)
def test_domain_code_imports_neither_aws_nor_gdal(module: str, path: Path) -> None:
    foreign = sorted(
        imported for imported in imports_of(path) if imported.split(".")[0] in FORBIDDEN_IN_DOMAIN
    )
    assert foreign == [], f"{module} imports {foreign}"


def test_the_wire_models_load_neither_gdal_nor_boto3() -> None:
    probe = (
        "import sys, model_runner.api; "
        "print(sorted(name for name in ('osgeo', 'boto3', 'botocore') if name in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
