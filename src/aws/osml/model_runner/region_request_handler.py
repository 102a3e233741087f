"""Compatibility module: the reference's ``RegionRequestHandler`` import path."""

from osml_extensions.reference import RegionRequestHandler

__all__ = ["RegionRequestHandler"]
