"""Every file GDAL would read to open an image, each checked before anything is read from it.

An image may read only inside its :class:`ReadScope`: its own bucket (or https host, or folder
for a local image) and the operator's extra prefixes. A VRT names further files; each
``SourceFilename`` is resolved as GDAL would resolve it and must be a plain path inside the
scope, and a VRT source is itself examined the same way. Anything this cannot vouch for is
refused: Python pixel functions, raw bands, subclassed datasets (warped, pansharpened, processed,
with their own file references), geolocation arrays, connection strings and inline XML, and
formats other than :data:`~model_runner.imagery.gdal_hardening.IMAGE_DRIVERS`. Refusals name the
offending value as written in the VRT, never whether it exists.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from osgeo import gdal

from model_runner.errors import ImageReadError
from model_runner.imagery.gdal_hardening import IMAGE_DRIVERS

MAX_VRT_BYTES = 8 * 1024 * 1024
MAX_FILES = 1000
MAX_DEPTH = 4
_UNSAFE_CHARACTERS = frozenset('<>"?#\\\r\n\t\0')
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ImageScopeError(ImageReadError):
    """An image would make GDAL read outside what its request may read, or run code."""


class UnreadableFileError(ImageReadError):
    """A file of the image does not exist, cannot be read, or is not an image GDAL knows."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{_shown(path)} does not exist, cannot be read, or is not an image GDAL reads")
        self.path = path


@dataclass(frozen=True)
class ReadScope:
    """The GDAL path prefixes an image's files may be under: its own location (ending in ``/``) and
    the operator's extra S3 key prefixes."""

    prefixes: tuple[str, ...]

    @classmethod
    def of_image(cls, path: str, extra: tuple[str, ...] = ()) -> ReadScope:
        """The image's own location (S3 bucket, https host, or local folder) plus ``extra``."""
        return cls((own_location(path), *extra))

    def covers(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.prefixes)


def own_location(path: str) -> str:
    """``/vsis3/bucket/`` for an S3 object, ``/vsicurl/https://host/`` for an https one, the
    folder for any other path."""
    for prefix in ("/vsis3/", "/vsicurl/https://"):
        if path.startswith(prefix):
            return prefix + path.removeprefix(prefix).split("/", 1)[0] + "/"
    return posixpath.dirname(path).rstrip("/") + "/"


def checked_files(path: str, scope: ReadScope, prepare: Callable[[str], None]) -> list[str]:
    """Every file GDAL reads to open ``path`` as an image, ``path`` first, each checked inside
    ``scope`` and handed to ``prepare`` (which scopes credentials to it) before it is read.

    Raises:
        ImageScopeError: a file is outside the scope, a format or VRT feature is not accepted.
        ImageReadError: a file cannot be read or is not an image GDAL knows.
    """
    files: list[str] = []
    _visit(path, scope, prepare, files, ())
    return files


def _visit(
    path: str, scope: ReadScope, prepare: Callable[[str], None], files: list[str], vrts: tuple[str, ...]
) -> None:
    """Check ``path`` (named by the chain of VRTs ``vrts``) and, if it is a VRT, what it names."""
    if path in vrts:
        raise ImageScopeError(f"the VRT {_shown(path)} names itself")
    if path in files:
        return
    if len(files) >= MAX_FILES or len(vrts) > MAX_DEPTH:
        raise ImageScopeError(
            f"the image names more than {MAX_FILES} files or nests VRTs deeper than {MAX_DEPTH}"
        )
    prepare(path)
    files.append(path)
    if _identify(path) != "VRT":
        return
    folder = posixpath.dirname(path) + "/"
    for name, relative in _references(_read_vrt(path)):
        _visit(_resolved(name, relative, folder, scope), scope, prepare, files, (*vrts, path))


def _identify(path: str) -> str:
    try:
        driver = gdal.IdentifyDriverEx(path, gdal.OF_RASTER)
    except RuntimeError:
        driver = None
    if driver is None:
        raise UnreadableFileError(path)
    name = str(driver.ShortName)
    if name not in IMAGE_DRIVERS:
        raise ImageScopeError(
            f"{_shown(path)} is a {name} file; accepted formats: {', '.join(IMAGE_DRIVERS)}"
        )
    return name


def _read_vrt(path: str) -> ElementTree.Element:
    handle = gdal.VSIFOpenL(path, "rb")
    if handle is None:
        raise ImageReadError(f"cannot read the VRT {_shown(path)}")
    try:
        data = gdal.VSIFReadL(1, MAX_VRT_BYTES + 1, handle)
    finally:
        gdal.VSIFCloseL(handle)
    if len(data) > MAX_VRT_BYTES:
        raise ImageScopeError(f"the VRT {_shown(path)} is larger than {MAX_VRT_BYTES // (1024 * 1024)} MiB")
    text = data.decode("utf-8", errors="replace")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise ImageScopeError(
            f"the VRT {_shown(path)} declares a DOCTYPE or entities, which are not accepted"
        )
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise ImageReadError(f"the VRT {_shown(path)} is not well-formed XML") from None


def _references(root: ElementTree.Element) -> list[tuple[str, bool]]:
    """(name, relative to the VRT) of every file the VRT names; refuses what cannot be vouched for.

    GDAL matches VRT element and attribute names without regard to case, so this does too.
    """
    return list(_walk(root))


def _walk(root: ElementTree.Element) -> Iterator[tuple[str, bool]]:
    if root.tag.lower() != "vrtdataset" or _attribute(root, "subclass"):
        raise ImageScopeError(
            "only plain VRT datasets are accepted (no warped, pansharpened or processed VRTs)"
        )
    for element in root.iter():
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag == "sourcefilename":
            yield (element.text or "").strip(), _relative(element)
        elif tag in ("sourcedataset", "pixelfunctioncode"):
            raise ImageScopeError(f"VRT element <{element.tag}> is not accepted")
        elif tag == "pixelfunctionlanguage" and (element.text or "").strip().lower() != "c":
            raise ImageScopeError("VRT pixel functions in Python (or any language but C) are not accepted")
        elif tag == "vrtrasterband" and _attribute(element, "subclass").lower() == "vrtrawrasterband":
            raise ImageScopeError("VRT raw raster bands are not accepted")
        elif tag == "metadata" and _attribute(element, "domain").upper() == "GEOLOCATION":
            raise ImageScopeError("VRT geolocation arrays are not accepted")


def _attribute(element: ElementTree.Element, name: str) -> str:
    return next((value for key, value in element.attrib.items() if key.lower() == name), "")


def _relative(element: ElementTree.Element) -> bool:
    value = _attribute(element, "relativetovrt").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE or not value:
        return False
    raise ImageScopeError(f"VRT relativeToVRT={value!r} is not 0 or 1")


def _resolved(name: str, relative: bool, folder: str, scope: ReadScope) -> str:
    """The path GDAL opens for a source, if it is a plain path inside ``scope``."""
    plain = name and not any(character in _UNSAFE_CHARACTERS for character in name)
    if not plain or (not name.startswith("/") and ":" in name):
        # GDAL takes a name with a colon (vrt://..., DRIVER:..., C:/...) as it is, not relative.
        raise ImageScopeError(f"VRT source {_shown(name)} is not a plain file path")
    path = folder + name if relative and not name.startswith("/") else name
    if not scope.covers(path):
        raise ImageScopeError(f"VRT source {_shown(name)} is outside the locations this image may read")
    segments = path.split("/")
    inner = segments[1:-1] if not path.startswith("/vsicurl/https://") else segments[4:-1]
    if any(segment in ("", ".", "..") for segment in inner) or not segments[-1]:
        raise ImageScopeError(f"VRT source {_shown(name)} has empty, . or .. path segments")
    return path


def _shown(path: str) -> str:
    text = path if len(path) <= 120 else path[:117] + "..."
    return repr(text)
