"""TLS settings of model calls: certificates are always verified."""

from __future__ import annotations

import ssl
from collections.abc import Mapping

CA_BUNDLE_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")


def ca_bundle_from(environ: Mapping[str, str]) -> str | None:
    """The CA bundle path named by AWS_CA_BUNDLE or else REQUESTS_CA_BUNDLE in ``environ``."""
    for name in CA_BUNDLE_VARIABLES:
        if environ.get(name):
            return environ[name]
    return None


def verified_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A client context that requires a valid certificate for the host name.

    With ``ca_bundle``, only the authorities in that PEM file are trusted (as AWS_CA_BUNDLE does
    for botocore). Without it, the system store is trusted, plus certifi's bundle when installed,
    so that a container image without system certificates still verifies public endpoints.
    """
    context = ssl.create_default_context(cafile=ca_bundle)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    if ca_bundle is None:
        try:
            import certifi
        except ImportError:
            return context
        context.load_verify_locations(cafile=certifi.where())
    return context
