"""The detection workspace keeps one object per region and name, whatever stores it (S3 or the fake)."""

from __future__ import annotations

from model_runner.handlers.ports import DetectionWorkspace


def test_a_redelivered_region_replaces_its_object_and_clear_forgets_the_image(
    workspace: DetectionWorkspace,
) -> None:
    workspace.put("img", "r1", "manifest", b"first")
    workspace.put("img", "r1", "final-0", b"features")
    workspace.put("img", "r2", "manifest", b"other region")
    workspace.put("img", "r1", "manifest", b"second")
    workspace.put("other", "r1", "manifest", b"other image")

    assert workspace.get("img", "r1", "manifest") == b"second"
    assert workspace.get("img", "r1", "final-0") == b"features"
    assert workspace.get("img", "r2", "manifest") == b"other region"

    workspace.clear("img")
    assert workspace.get("img", "r1", "manifest") is None
    assert workspace.get("img", "r2", "manifest") is None
    assert workspace.get("other", "r1", "manifest") == b"other image"


def test_an_object_never_stored_is_none(workspace: DetectionWorkspace) -> None:
    workspace.put("img", "r1", "manifest", b"{}")

    assert workspace.get("img", "r1", "deferred-x") is None
    assert workspace.get("img", "r2", "manifest") is None
    assert workspace.get("never", "r1", "manifest") is None
