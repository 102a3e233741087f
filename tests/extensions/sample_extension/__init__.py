"""A third-party extension as the guide describes one: importing the package registers its handlers.

It serves requests whose imageProcessor names a SageMaker-style endpoint ("centerpoint") from local
HTTP model containers, routed by the SAMPLE_EXTENSION_ROUTES environment variable (JSON: name -> URL).
"""

from .image_handler import MyImageHandler
from .observer import JobLog
from .region_handler import MyRegionHandler

__all__ = ["JobLog", "MyImageHandler", "MyRegionHandler"]
