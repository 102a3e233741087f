"""The format/compression table names real GDAL drivers and options, and drives request checks."""

from __future__ import annotations

from osgeo import gdal

from model_runner.api import TILE_ENCODINGS, TileCompression, TileFormat


def test_every_format_has_an_uncompressed_encoding_with_a_gdal_driver() -> None:
    assert set(TILE_ENCODINGS) == set(TileFormat)
    for fmt, encodings in TILE_ENCODINGS.items():
        assert TileCompression.NONE in encodings, fmt
        for encoding in encodings.values():
            driver = gdal.GetDriverByName(encoding.driver)
            assert driver is not None, encoding.driver
            options = driver.GetMetadataItem(gdal.DMD_CREATIONOPTIONLIST) or ""
            for option in encoding.creation_options:
                assert option.split("=")[0] in options, (fmt, option)


def test_the_facts_of_the_table() -> None:
    assert set(TILE_ENCODINGS[TileFormat.PNG]) == {TileCompression.NONE}
    assert TileCompression.J2K not in TILE_ENCODINGS[TileFormat.GTIFF]
    assert TileCompression.LZW not in TILE_ENCODINGS[TileFormat.NITF]
    assert TILE_ENCODINGS[TileFormat.NITF][TileCompression.J2K].creation_options == ("IC=C8",)
