"""Compatibility module: the reference's ``ImageRequestHandler`` import path."""

from osml_extensions.reference import ImageRequestHandler

__all__ = ["ImageRequestHandler"]
