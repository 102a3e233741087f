"""Which imageUrls a worker accepts: s3:// in production, https:// on listed hosts, local paths only
when the setting allows them; GDAL virtual paths and other forms never."""

from __future__ import annotations

import pytest

from model_runner.api.image_locations import ImageLocations
from model_runner.security import UrlAllowList

PRODUCTION = ImageLocations()
LOCAL = ImageLocations(allow_local_paths=True)
HTTPS = ImageLocations(https_hosts=UrlAllowList(["imagery.example.com"]))


@pytest.mark.parametrize("url", ["s3://bucket/scene.tif", "S3://bucket/a/b/scene.ntf"])
def test_s3_urls_are_accepted(url: str) -> None:
    assert PRODUCTION.problem(url) is None


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/etc/passwd", "paths on the worker's disk are not accepted"),
        ("/data/images/scene.tif", "paths on the worker's disk are not accepted"),
        ("scene.tif", "paths on the worker's disk are not accepted"),
        ("/vsizip//tmp/a.zip/scene.tif", "GDAL virtual paths"),
        ("/vsis3/bucket/scene.tif", "GDAL virtual paths"),
        ("/vsicurl?url=http%3A%2F%2F127.0.0.1%3A9%2Fa.tif", "GDAL virtual paths"),
        ("/VSICURL/http://127.0.0.1:9/a.tif", "GDAL virtual paths"),
        ("/vsimem/x.tif", "GDAL virtual paths"),
        ("http://127.0.0.1:9/a.tif", "the http form is not accepted"),
        ("https://127.0.0.1:9/a.tif", "not in IMAGE_HTTPS_HOSTS"),
        ("file:///etc/passwd", "the file form is not accepted"),
        ("vrt:///etc/passwd", "the vrt form is not accepted"),
        ("NITF_IM:0:/data/a.ntf", "connection string"),
        ("<VRTDataset/>", "control characters, quotes and <>"),
        ("s3://bucket/a/../../other/scene.tif", ". or .. path segments"),
        ("s3://bucket/scene.tif\n", "control characters"),
    ],
)
def test_everything_else_is_refused_in_production(url: str, named: str) -> None:
    problem = PRODUCTION.problem(url)
    assert problem is not None and named in problem


def test_a_refusal_reads_the_same_whether_the_local_file_exists_or_not() -> None:
    assert PRODUCTION.problem("/etc/passwd") == PRODUCTION.problem("/etc/no-such-file-here")


def test_local_paths_are_accepted_only_when_allowed_and_absolute() -> None:
    assert LOCAL.problem("/data/images/scene.tif") is None
    assert LOCAL.problem("images/scene.tif") == "a local path must be absolute"
    assert LOCAL.problem("/data/../etc/passwd") is not None
    assert LOCAL.problem("/vsizip//data/a.zip/x.tif") is not None


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://imagery.example.com/scenes/a.tif", True),
        ("https://imagery.example.com:443/scenes/a.tif", True),
        ("https://imagery.example.com.evil.net/a.tif", False),
        ("https://user:pw@imagery.example.com/a.tif", False),
        ("https://imagery.example.com/a.tif?X-Amz-Signature=abc", False),
        ("http://imagery.example.com/a.tif", False),
    ],
)
def test_https_urls_only_on_listed_hosts_without_credentials_or_query(url: str, accepted: bool) -> None:
    assert (HTTPS.problem(url) is None) is accepted
