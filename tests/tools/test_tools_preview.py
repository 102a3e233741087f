"""Preview pictures: the image downsampled, each feature outlined in its class colour, a legend;
memory bounded by the picture however large the image."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from model_runner.cli import main
from model_runner.local.synthetic_image import generate_image
from model_runner.tools.picture import PALETTE


def box_feature(x0: float, y0: float, x1: float, y1: float, iri: str) -> dict[str, Any]:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {
        "type": "Feature",
        "id": f"{iri}-{x0}",
        "geometry": None,
        "properties": {
            "imageGeometry": {"type": "Polygon", "coordinates": [ring]},
            "featureClasses": [{"iri": iri, "score": 0.9}],
        },
    }


def test_features_are_outlined_in_their_class_colour_over_the_downsampled_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = generate_image(tmp_path / "scene.tif", 2000, 1000)
    features = [box_feature(100, 100, 500, 500, "vessel"), box_feature(1000, 200, 1800, 800, "vessel")]
    features.append(box_feature(1200, 400, 1400, 600, "car"))
    features.append({"type": "Feature", "id": "no-pixels", "geometry": None, "properties": {}})
    collection = tmp_path / "scene.geojson"
    collection.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    assert main(["preview", str(image), str(collection), "--size", "500"]) == 0

    out = capsys.readouterr().out
    assert "3 features (vessel 2, car 1); 1 without pixel geometry" in out
    picture = np.asarray(Image.open(tmp_path / "scene.png").convert("RGB"))
    assert picture.shape == (250, 500, 3)
    vessel, car = PALETTE[0], PALETTE[1]
    # The second vessel's left edge at x = 1000 / 4 = 250, between y = 50 and 200.
    assert tuple(picture[120, 250]) == vessel
    assert tuple(picture[125, 300]) == car  # the car's left edge at x = 300
    legend = picture[4:40, 4:120].reshape(-1, 3)
    assert {vessel, car} <= {tuple(pixel) for pixel in legend}


def test_a_huge_image_is_previewed_in_bounded_memory(tmp_path: Path) -> None:
    tile = generate_image(tmp_path / "tile.tif", 512, 512)
    huge = tmp_path / "huge.vrt"  # 65536 x 65536 pixels, 3 bands: 12 GiB if read whole
    subprocess.run(
        ["gdal_translate", "-q", "-of", "VRT", "-outsize", "65536", "65536", str(tile), str(huge)], check=True
    )
    collection = tmp_path / "huge.geojson"
    collection.write_text(
        json.dumps({"type": "FeatureCollection", "features": [box_feature(0, 0, 9000, 9000, "x")]})
    )
    probe = textwrap.dedent(
        f"""
        from pathlib import Path
        from model_runner.cli import main
        status = main(["preview", {str(huge)!r}, {str(collection)!r}, "--size", "1024"])
        # VmHWM: this program's peak (ru_maxrss would include the test process it was forked from).
        status_lines = Path("/proc/self/status").read_text().splitlines()
        peak_kib = next(line for line in status_lines if line.startswith("VmHWM")).split()[1]
        print(status, int(peak_kib) // 1024)
        """
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )

    status, peak_mib = done.stdout.split()[-2:]
    assert status == "0"
    assert int(peak_mib) < 400, f"peak RSS {peak_mib} MiB"
    assert Image.open(tmp_path / "huge.png").size == (1024, 1024)
