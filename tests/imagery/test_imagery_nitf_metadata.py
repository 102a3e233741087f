"""The sourceMetadata of NITF images."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import gdal

from model_runner.imagery import open_image
from model_runner.imagery.nitf_metadata import nitf_source_metadata


def make_nitf(path: Path, imagery_dir: Path, options: list[str]) -> str:
    source = gdal.Open(str(imagery_dir / "RGB.byte.tif"))
    small = gdal.Translate("", source, format="MEM", srcWin=[0, 0, 32, 32])
    gdal.GetDriverByName("NITF").CreateCopy(str(path), small, options=options).FlushCache()
    return str(path)


def test_nitf_source_metadata_from_its_header(tmp_path: Path, imagery_dir: Path) -> None:
    url = make_nitf(
        tmp_path / "scene.ntf",
        imagery_dir,
        ["FTITLE=Harbour pass 7", "IID2=Harbour", "IDATIM=20080706123456", "ISORCE=WorldView-2", "ICAT=VIS"],
    )
    with open_image(url) as source:
        assert source.is_nitf
        assert source.source_metadata() == {
            "location": url,
            "format": "NITF",
            "category": "VIS",
            "sourceId": "Harbour pass 7",
            "sourceDT": "2008-07-06T12:34:56Z",
        }


def test_the_reference_keys_are_all_there_even_when_blank() -> None:
    # The reference's WBID suite expects "sourceId": "" for a blank file title, and no sensorName.
    metadata = nitf_source_metadata(
        {"NITF_FTITLE": "", "NITF_ICAT": "VIS", "NITF_ISORCE": "X"}, "s3://b/k.ntf"
    )
    assert metadata == {
        "location": "s3://b/k.ntf",
        "format": "NITF",
        "category": "VIS",
        "sourceId": "",
        "sourceDT": None,
    }


@pytest.mark.parametrize("idatim", ["2008070612----", "", "20081399000000"])
def test_unknown_acquisition_times_are_null(idatim: str) -> None:
    assert nitf_source_metadata({"NITF_IDATIM": idatim}, "a.ntf")["sourceDT"] is None
