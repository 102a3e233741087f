"""Security foundations shared by the adapters: credential redaction, address policy, URL allow-lists."""

from model_runner.security.addresses import AddressKind, IpAddress, ResolutionError, classify, resolve
from model_runner.security.redaction import MASK, REDACT, Redactor, display_url
from model_runner.security.url_rules import UrlAllowList, UrlRule, is_loopback_name, normal_host

__all__ = [
    "MASK",
    "REDACT",
    "AddressKind",
    "IpAddress",
    "Redactor",
    "ResolutionError",
    "UrlAllowList",
    "UrlRule",
    "classify",
    "display_url",
    "is_loopback_name",
    "normal_host",
    "resolve",
]
