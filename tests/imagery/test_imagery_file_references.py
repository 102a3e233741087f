"""What GDAL may open: hostile VRTs and formats are refused before anything is read or fetched.

Each attack is a VRT the worker would open (a local file here; the same checks run for S3 objects,
see test_imagery_s3_moto). A loopback canary server proves nothing was fetched, and a positive
control proves GDAL alone would have fetched it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from canary import Canary, canary_server
from osgeo import gdal

from model_runner.errors import ImageReadError
from model_runner.imagery import open_image
from model_runner.imagery.file_references import ImageScopeError
from model_runner.imagery.gdal_hardening import IMAGE_DRIVERS, INTERNAL_DRIVERS, PINNED_OPTIONS, harden_gdal
from model_runner.testing.images import write_image
from model_runner.tiling import Window


@pytest.fixture
def canary() -> Iterator[Canary]:
    with canary_server() as served:
        yield served


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding one small GeoTIFF, ``source.tif``, beside which VRTs are written."""
    write_image(str(tmp_path / "source.tif"), np.full((1, 16, 16), 7, dtype=np.uint8))
    return tmp_path


def vrt(source: str, *, relative: str = "0", band: str = "", extra: str = "", root: str = "") -> str:
    """A one-band 16 x 16 VRT reading ``source``."""
    return (
        f'<VRTDataset rasterXSize="16" rasterYSize="16"{root}>{extra}'
        f'<VRTRasterBand dataType="Byte" band="1"{band}><SimpleSource>'
        f'<SourceFilename relativeToVRT="{relative}">{source}</SourceFilename><SourceBand>1</SourceBand>'
        f"</SimpleSource></VRTRasterBand></VRTDataset>"
    )


def write(folder: Path, text: str, name: str = "image.vrt") -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def remote(canary: Canary, name: str = "source.tif") -> str:
    return f"/vsicurl/{canary.url}/{name}"


def test_a_vrt_with_its_source_beside_it_opens_and_lists_both_files(folder: Path) -> None:
    path = write(folder, vrt("source.tif", relative="1"))
    with open_image(path) as source:
        assert source.files == (path, str(folder / "source.tif"))
        assert int(source.read(Window(0, 0, 4, 4))[0, 0, 0]) == 7


def test_gdal_alone_would_fetch_a_remote_source_positive_control(folder: Path, canary: Canary) -> None:
    harden_gdal()
    dataset = gdal.Open(write(folder, vrt(remote(canary))))
    with pytest.raises(RuntimeError):
        dataset.ReadAsArray()
    assert canary.seen, "the canary must see GDAL's request, or the refusals below prove nothing"


@pytest.mark.parametrize(
    ("source", "relative", "refusal"),
    [
        ("/etc/hostname", "0", "outside the locations"),
        ("/vsizip//etc/archive.zip/a.tif", "0", "outside the locations"),
        ("../outside.tif", "1", ". or .. path segments"),
        ("sub//source.tif", "1", "empty, . or .. path segments"),
        ("source.tif", "0", "outside the locations"),  # relative to the worker's directory
        ("vrt://source.tif?bands=1", "1", "not a plain file path"),
        ("MEM:::DATAPOINTER=0x1000,PIXELS=16,LINES=16", "0", "not a plain file path"),
        ("GTIFF_DIR:1:source.tif", "1", "not a plain file path"),
        ("&lt;VRTDataset/&gt;", "1", "not a plain file path"),
        ("", "1", "not a plain file path"),
    ],
    ids=["local-file", "vsizip", "dot-dot", "empty-segment", "cwd-relative", "vrt-scheme", "memory",
         "driver-prefix", "inline-xml", "empty"],
)  # fmt: skip
def test_a_vrt_source_outside_the_images_location_is_refused(
    folder: Path, source: str, relative: str, refusal: str
) -> None:
    with pytest.raises(ImageScopeError, match=refusal):
        open_image(write(folder, vrt(source, relative=relative)))


@pytest.mark.parametrize(
    "template",
    [
        "{remote}",
        "/vsicurl?url={encoded}",
        "/vsicurl_streaming/{url}/source.tif",
        "/vsis3/other-bucket/source.tif",
    ],
    ids=["vsicurl", "vsicurl-query", "vsicurl-streaming", "vsis3-other-bucket"],
)
def test_a_vrt_source_on_a_server_is_refused_and_nothing_is_fetched(
    folder: Path, canary: Canary, template: str
) -> None:
    source = template.format(
        remote=remote(canary), url=canary.url, encoded=f"{canary.url}/source.tif".replace(":", "%3A")
    )
    with pytest.raises(ImageScopeError):
        open_image(write(folder, vrt(source)))
    assert canary.seen == []


def test_a_nested_vrt_is_examined_too_and_its_remote_source_is_never_fetched(
    folder: Path, canary: Canary
) -> None:
    write(folder, vrt(remote(canary)), "inner.vrt")
    path = write(folder, vrt("inner.vrt", relative="1"))
    with pytest.raises(ImageScopeError, match="outside the locations"):
        open_image(path)
    assert canary.seen == []


def test_element_names_match_whatever_their_case(folder: Path, canary: Canary) -> None:
    text = vrt(remote(canary)).replace("SourceFilename", "sourcefilename")
    with pytest.raises(ImageScopeError):
        open_image(write(folder, text))
    assert canary.seen == []


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        (
            {
                "band": ' subClass="VRTDerivedRasterBand"',
                "extra": "",
                "inner": "<PixelFunctionLanguage>Python</PixelFunctionLanguage>"
                "<PixelFunctionType>f</PixelFunctionType>"
                "<PixelFunctionCode><![CDATA[def f(*a, **k): open('/tmp/pwned', 'w')]]></PixelFunctionCode>",
            },
            "Python",
        ),
        ({"band": ' subClass="VRTRawRasterBand"', "extra": "", "inner": ""}, "raw raster bands"),
        (
            {"band": "", "inner": "",
             "extra": '<Metadata domain="GEOLOCATION"><MDI key="X_DATASET">/etc/x</MDI></Metadata>'},
            "geolocation",
        ),
        ({"band": "", "extra": "", "inner": "", "root": ' subClass="VRTWarpedDataset"'}, "plain VRT"),
    ],
    ids=["python-pixel-function", "raw-band", "geolocation-arrays", "warped"],
)  # fmt: skip
def test_vrt_features_that_run_code_or_name_unchecked_files_are_refused(
    folder: Path, options: dict[str, str], refusal: str
) -> None:
    text = vrt("source.tif", relative="1", band=options["band"], extra=options["extra"],
               root=options.get("root", ""))  # fmt: skip
    text = text.replace("<SimpleSource>", options["inner"] + "<SimpleSource>")
    with pytest.raises(ImageScopeError, match=refusal):
        open_image(write(folder, text))
    assert not Path("/tmp/pwned").exists()


def test_entities_are_refused(folder: Path) -> None:
    text = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + vrt("&e;", relative="1")
    with pytest.raises(ImageScopeError, match="DOCTYPE"):
        open_image(write(folder, text))


def test_a_refused_local_source_reads_the_same_whether_it_exists_or_not(folder: Path) -> None:
    messages = []
    for name in ("/etc/passwd", f"/etc/{uuid.uuid4().hex}"):
        with pytest.raises(ImageScopeError) as refused:
            open_image(write(folder, vrt(name)))
        messages.append(str(refused.value).replace(name, "NAME"))
    assert messages[0] == messages[1]


def test_vrts_nested_too_deep_are_refused(folder: Path) -> None:
    for depth in range(6):
        write(
            folder,
            vrt(f"level{depth + 1}.vrt" if depth < 5 else "source.tif", relative="1"),
            f"level{depth}.vrt",
        )
    with pytest.raises(ImageScopeError, match="deeper than"):
        open_image(str(folder / "level0.vrt"))


def test_vrts_naming_each_other_are_refused(folder: Path) -> None:
    write(folder, vrt("image.vrt", relative="1"), "other.vrt")
    path = write(folder, vrt("other.vrt", relative="1"))
    with pytest.raises(ImageScopeError, match="names itself"):
        open_image(path)


def test_a_format_outside_the_allow_list_is_refused_as_an_image_and_as_a_source(folder: Path) -> None:
    jp2 = str(folder / "scene.jp2")
    gdal.GetDriverByName("JP2OpenJPEG").CreateCopy(jp2, gdal.Open(str(folder / "source.tif")))
    with pytest.raises(ImageScopeError, match="JP2OpenJPEG"):
        open_image(jp2)
    with pytest.raises(ImageScopeError, match="JP2OpenJPEG"):
        open_image(write(folder, vrt("scene.jp2", relative="1")))


def test_a_text_grid_is_no_image_once_its_driver_is_gone(folder: Path) -> None:
    grid = folder / "grid.asc"
    grid.write_text("ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n3 4\n")
    with pytest.raises(ImageReadError, match="not an image GDAL can read"):
        open_image(str(grid))


def test_gdal_is_pinned_and_keeps_only_the_drivers_the_worker_uses() -> None:
    harden_gdal()
    for key, value in PINNED_OPTIONS.items():
        assert gdal.GetConfigOption(key) == value, key
    registered = {gdal.GetDriver(index).ShortName for index in range(gdal.GetDriverCount())}
    assert registered == {*IMAGE_DRIVERS, *INTERNAL_DRIVERS}
    assert gdal.GetDriverByName("WMS") is None and gdal.GetDriverByName("HTTP") is None


def test_gdal_itself_refuses_python_pixel_functions(folder: Path) -> None:
    """The second line: were the VRT check bypassed, GDAL's pinned option still refuses. (GDAL 3.6
    has no run-time switch for raw bands: the VRT check above is their only line.)"""
    harden_gdal()
    python = vrt("source.tif", relative="1", band=' subClass="VRTDerivedRasterBand"').replace(
        "<SimpleSource>",
        "<PixelFunctionLanguage>Python</PixelFunctionLanguage><PixelFunctionType>f</PixelFunctionType>"
        "<PixelFunctionCode><![CDATA[\ndef f(in_ar, out_ar, *args, **kwargs):\n"
        "    open('/tmp/pwned-by-gdal', 'w')\n]]></PixelFunctionCode><SimpleSource>",
    )
    with pytest.raises(RuntimeError):
        gdal.Open(write(folder, python)).ReadAsArray()
    assert not Path("/tmp/pwned-by-gdal").exists()
