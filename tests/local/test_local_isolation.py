"""Production code never depends on the local stack, and only the moto child imports moto."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[2] / "src"
LOCAL = SOURCES / "model_runner" / "local"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.add(node.module)
    return modules


def test_production_code_never_imports_the_local_stack() -> None:
    offenders = [
        str(path.relative_to(SOURCES))
        for path in SOURCES.rglob("*.py")
        if LOCAL not in path.parents
        and any(module.startswith("model_runner.local") for module in imported_modules(path))
    ]

    assert offenders == []


def test_only_the_moto_server_process_imports_moto() -> None:
    importers = {
        path.name
        for path in SOURCES.rglob("*.py")
        if any(module == "moto" or module.startswith("moto.") for module in imported_modules(path))
    }

    assert importers == {"moto_server_main.py"}
