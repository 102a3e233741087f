"""Finding extensions: EXTENSION_MODULES, the ``osml_extensions`` entry points, reported failures."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from extension_install import install

from model_runner.registry import load_extensions
from model_runner.registry.listing import print_extensions
from osml_extensions.registry import HandlerType, get_registry


def test_the_built_in_pairs_register_through_the_projects_own_entry_point() -> None:
    report = load_extensions()

    assert "entry point 'builtin' (model_runner.registry.builtin:register)" in report.loaded
    assert get_registry().request_types() == ["async_sm_endpoint", "http", "sm_endpoint"]


def test_an_installed_entry_point_registers_its_handlers_and_observers(sample_installed: Path) -> None:
    report = load_extensions()

    assert "entry point 'local_models' (sample_extension)" in report.loaded
    assert report.failures == ()
    region = get_registry().handler("local_models", HandlerType.REGION_REQUEST_HANDLER)
    assert region.source == "sample_extension.region_handler:MyRegionHandler"
    assert "sample_job_log" in [item.name for item in get_registry().observers()]


def test_extension_modules_are_imported_by_name(site_packages: Path) -> None:
    (site_packages / "named_extension.py").write_text(
        "from model_runner.handlers import RegionRequestHandler\n"
        "from osml_extensions.registry import HandlerType, register_handler\n"
        "register_handler('named', HandlerType.REGION_REQUEST_HANDLER, 'named')(\n"
        "    type('Named', (RegionRequestHandler,), {}))\n"
    )

    report = load_extensions(["named_extension"])

    assert report.loaded[-1] == "named_extension"
    assert "named" in get_registry().request_types()


def test_import_failures_are_reported_with_name_and_cause(site_packages: Path) -> None:
    (site_packages / "faulty_extension.py").write_text("raise RuntimeError('needs CUDA 12')\n")
    install(site_packages, "dangling", "[osml_extensions]\ndangling = not_installed.handlers\n")

    report = load_extensions(["faulty_extension"])

    messages = [str(failure) for failure in report.failures]
    assert messages == [
        "extension entry point 'dangling' (not_installed.handlers) failed to load: "
        "ModuleNotFoundError: No module named 'not_installed'",
        "extension faulty_extension failed to load: RuntimeError: needs CUDA 12",
    ]
    assert get_registry().request_types() == [
        "async_sm_endpoint",
        "http",
        "sm_endpoint",
    ]  # the built-ins still load


def test_the_listing_shows_sources_and_what_each_request_type_selects(
    sample_installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUEST_TYPE", "local_models")
    out = io.StringIO()

    status = print_extensions(out)

    lines: Any = out.getvalue().splitlines()
    assert status == 0
    assert any(
        "my_region_handler" in line and "sample_extension.region_handler:MyRegionHandler" in line
        for line in lines
    )
    assert any(
        "sns_status" in line and "model_runner.registry.builtin:status_publisher" in line for line in lines
    )
    assert any("sample_job_log" in line and "sample_extension.observer:JobLog" in line for line in lines)
    selected = {line.split()[3]: line for line in lines if "request with imageProcessor.type" in line}
    assert selected["SM_ENDPOINT"].endswith("-> local_models (my_image_handler + my_region_handler)")
    assert selected["HTTP_ENDPOINT"].endswith("-> refused: local_models does not serve HTTP_ENDPOINT")


def test_the_listing_fails_when_an_extension_does_not_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTENSION_MODULES", "no_such_extension")
    out = io.StringIO()

    assert print_extensions(out) == 1
    assert "failed: extension no_such_extension failed to load" in out.getvalue()


def test_the_guides_own_check_lists_a_custom_request_type_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUEST_TYPE", "my_custom_type")
    out = io.StringIO()

    assert print_extensions(out) == 0
    assert "-> refused: my_custom_type is not registered (known: async_sm_endpoint, http, sm_endpoint)" in (
        out.getvalue()
    )


def test_the_listing_shows_switched_off_handlers_and_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTENSION_BLOCKLIST", "sm_endpoint_region_handler,structured_logs")
    monkeypatch.setenv("EXTENSION_FALLBACK_ENABLED", "true")
    out = io.StringIO()

    print_extensions(out)

    text = out.getvalue()
    assert "sm_endpoint_region_handler" in text and "(switched off)" in text
    assert "structured_logs" in text
    assert (
        "SM_ENDPOINT        -> refused: sm_endpoint_region_handler is switched off by EXTENSION_BLOCKLIST"
        in text
    )
