"""Production code never depends on the local stack, and only the moto child imports moto."""

from __future__ import annotations

import ast
import subprocess
import sys
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


CLI = SOURCES / "model_runner" / "cli.py"


def test_production_code_never_imports_the_local_stack() -> None:
    # The command line is the one exception: its demo and bench commands are local-stack tools,
    # imported only when those commands run (see the next test).
    offenders = [
        str(path.relative_to(SOURCES))
        for path in SOURCES.rglob("*.py")
        if LOCAL not in path.parents
        and path != CLI
        and any(module.startswith("model_runner.local") for module in imported_modules(path))
    ]

    assert offenders == []


def test_the_worker_command_path_does_not_load_the_local_stack() -> None:
    code = (
        "import sys, model_runner.cli, model_runner.worker.main, model_runner.worker.wiring;"
        "print(sorted(name for name in sys.modules if name.startswith(('model_runner.local', 'moto'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert loaded.strip() == "[]"


def test_only_the_moto_server_process_imports_moto() -> None:
    importers = {
        path.name
        for path in SOURCES.rglob("*.py")
        if any(module == "moto" or module.startswith("moto.") for module in imported_modules(path))
    }

    assert importers == {"moto_server_main.py"}
